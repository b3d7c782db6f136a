#!/usr/bin/python3
"""Writes the whole-model fixtures that ModuleTreeTest reads: an nn.Module of Embedding + LSTM +
Linear made by PyTorch (1.13, Debian's python3-torch), its state_dict saved as safetensors under
its own names, and what PyTorch computes with it on a fixed input: the logits, the final states,
the mean cross-entropy and every parameter's gradient of it.

    /usr/bin/python3 models/src/test/python/make_module_fixtures.py

The safetensors files are written by hand (struct + json), as the format defines them, because
the safetensors package is not installed here: an 8-byte little-endian header length, a JSON
header {name: {dtype, shape, data_offsets}, "__metadata__": {...}} padded with spaces to a
multiple of 8, then the little-endian data.
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "dev", "jrnn", "models", "pytorch")
VOCABULARY, EMBEDDING, HIDDEN, LAYERS, STEPS, BATCH = 11, 5, 7, 2, 6, 3


class LanguageModel(nn.Module):
    """jrnn's LanguageModel: embedding, rnn (time-first), head; the same child names."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, EMBEDDING)
        self.rnn = nn.LSTM(EMBEDDING, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, VOCABULARY)

    def forward(self, tokens):
        y, (h, c) = self.rnn(self.embedding(tokens))
        return self.head(y), h, c


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    torch.manual_seed(13)
    model = LanguageModel().eval()  # no dropout anywhere, but say it
    tokens = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    targets = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    logits, h, c = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
    loss.backward()
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "lstm_lm.safetensors"), model.state_dict(),
                      {"torch": torch.__version__, "model": "Embedding(11, 5) + LSTM(5, 7, num_layers=2) + Linear(7, 11)"})
    io = {"tokens": tokens.float(), "targets": targets.float(), "logits": logits, "h_n": h, "c_n": c,
          "loss": loss.reshape(1)}
    for name, p in model.named_parameters():
        io["grad." + name] = p.grad
    write_safetensors(os.path.join(OUT, "lstm_lm_io.safetensors"), io, {"torch": torch.__version__})
    print("state_dict:", ", ".join(f"{k} {list(v.shape)}" for k, v in model.state_dict().items()))
    print("loss", loss.item())


if __name__ == "__main__":
    main()
