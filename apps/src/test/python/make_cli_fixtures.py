#!/usr/bin/python3
"""Writes the fixtures that `jrnn run` is tested against: PyTorch's own files, as a user has them.

Run with Debian's PyTorch (apt-get install python3-torch), from anywhere:
    /usr/bin/python3 apps/src/test/python/make_cli_fixtures.py

Each case is a folder holding what a PyTorch user would hand to `jrnn run`:
    weights.safetensors   the module's state_dict in float32 (some cases under a key prefix)
    x.npy [h0.npy c0.npy] dy.npy   float32 inputs, batch-first where the module is
and what PyTorch returns, computed in float64 from those float32 values (so the expected numbers
carry no float32 rounding of their own):
    y.npy hn.npy [cn.npy]            output, (h_n, c_n) = module(x, (h0, c0))
    dx.npy grads.safetensors         gradients of sum(output * dy) w.r.t. x and every parameter
plus args.txt, the options that describe the case (cell, prefix, batch-first).

safetensors is written here by hand from its specification (the Python package is not in
Debian): 8-byte little-endian header length, a JSON header of {name: {dtype, shape,
data_offsets}}, then the raw little-endian tensors. The output is byte-for-byte reproducible.
"""
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "resources", "dev", "jrnn", "apps", "fixtures")

# name, cell, layers, bidirectional, batch_first, T, N, I, H, with h0/c0, key prefix
CASES = [
    ("lstm_l1_uni", "lstm", 1, False, False, 5, 3, 7, 6, True, ""),
    ("lstm_l2_bi", "lstm", 2, True, False, 4, 2, 5, 3, True, "encoder.rnn."),
    ("lstm_l2_uni_batch_first", "lstm", 2, False, True, 6, 3, 4, 5, False, ""),
    ("gru_l1_uni", "gru", 1, False, False, 6, 2, 4, 5, True, ""),
    ("gru_l2_bi_batch_first", "gru", 2, True, True, 3, 3, 3, 4, True, "gru."),
    ("rnn_tanh_l3_bi", "rnn_tanh", 3, True, False, 4, 2, 3, 3, True, ""),
    ("rnn_relu_l2_uni", "rnn_relu", 2, False, False, 5, 3, 4, 9, False, ""),
]


def module_for(cell, layers, bidirectional, batch_first, inp, hid):
    kw = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if cell == "lstm":
        return torch.nn.LSTM(inp, hid, **kw)
    if cell == "gru":
        return torch.nn.GRU(inp, hid, **kw)
    return torch.nn.RNN(inp, hid, nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **kw)


def write_safetensors(path, tensors):
    """tensors: list of (name, numpy array), written in this order."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        dtype = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64"}[a.dtype]
        data = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def make(case, seed):
    name, cell, layers, bi, batch_first, T, N, I, H, with_h0, prefix = case
    torch.manual_seed(seed)
    m = module_for(cell, layers, bi, batch_first, I, H)
    for p in m.parameters():  # wider than the default init: exercises the nonlinearity
        torch.nn.init.uniform_(p, -0.6, 0.6)
    D = 2 if bi else 1
    x = torch.rand(N, T, I) * 2 - 1 if batch_first else torch.rand(T, N, I) * 2 - 1
    h0 = torch.rand(layers * D, N, H) * 2 - 1
    c0 = torch.rand(layers * D, N, H) * 2 - 1
    dy = torch.rand(N, T, D * H) * 2 - 1 if batch_first else torch.rand(T, N, D * H) * 2 - 1

    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "weights.safetensors"),
                      [(prefix + k, v.detach().numpy()) for k, v in m.state_dict().items()])
    np.save(os.path.join(folder, "x.npy"), x.numpy())
    np.save(os.path.join(folder, "dy.npy"), dy.numpy())
    if with_h0:
        np.save(os.path.join(folder, "h0.npy"), h0.numpy())
        if cell == "lstm":
            np.save(os.path.join(folder, "c0.npy"), c0.numpy())

    m64 = m.double()
    x64 = x.double().requires_grad_()
    state = None
    if with_h0:
        state = (h0.double(), c0.double()) if cell == "lstm" else h0.double()
    y, hn = m64(x64, state)
    cn = None
    if cell == "lstm":
        hn, cn = hn
    (y * dy.double()).sum().backward()
    np.save(os.path.join(folder, "y.npy"), y.detach().numpy())
    np.save(os.path.join(folder, "hn.npy"), hn.detach().numpy())
    if cn is not None:
        np.save(os.path.join(folder, "cn.npy"), cn.detach().numpy())
    np.save(os.path.join(folder, "dx.npy"), x64.grad.numpy())
    write_safetensors(os.path.join(folder, "grads.safetensors"),
                      [(k, p.grad.numpy()) for k, p in m64.named_parameters()])
    args = ["--cell", cell] + (["--prefix", prefix] if prefix else []) + (["--batch-first"] if batch_first else [])
    with open(os.path.join(folder, "args.txt"), "w") as f:
        f.write(" ".join(args) + "\n")
    return name


def main():
    names = [make(case, 1000 + i) for i, case in enumerate(CASES)]
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %d cases to %s" % (len(names), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
