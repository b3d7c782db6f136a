#!/usr/bin/python3
"""The job of `./jrnn demo` in PyTorch, as its peer for speed: the same character LSTM
(embedding 32, one LSTM layer of 256, a linear layer to the alphabet), the same data (Moby-Dick,
chapters 1-125), 32 streams of 64-character truncated-BPTT chunks with the state carried, Adam
with a 50-step warm-up and cosine decay from 3e-3, gradient norm clipped at 5; then 400
characters generated one at a time at temperature 0.7, batch 1.

Prints characters per second of training and microseconds per generated character, and which BLAS
PyTorch loaded (Debian's python3-torch falls back to the reference BLAS, 3x slower, unless
libopenblas0-pthread is installed).

    /usr/bin/python3 bench/pytorch/demo_peer.py TEXT [--steps 200] [--threads 2]

TEXT is Moby-Dick as `./jrnn demo` caches it (~/.cache/jrnn/data/npm-.../package/data/data.txt).
"""
import argparse
import math
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("text")
p.add_argument("--steps", type=int, default=200)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--hidden", type=int, default=256)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--chunk", type=int, default=64)
p.add_argument("--length", type=int, default=400)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(7)

text = open(a.text, encoding="utf-8").read()
training = text[: text.rindex("CHAPTER 126.")]
alphabet = sorted(set(text))
index = {c: i for i, c in enumerate(alphabet)}
train = torch.tensor([index[c] for c in training], dtype=torch.long)


class CharLstm(torch.nn.Module):
    def __init__(self, symbols, hidden):
        super().__init__()
        self.embedding = torch.nn.Embedding(symbols, 32)
        self.rnn = torch.nn.LSTM(32, hidden)
        self.out = torch.nn.Linear(hidden, symbols)

    def forward(self, x, state=None):
        y, state = self.rnn(self.embedding(x), state)
        return self.out(y), state


model = CharLstm(len(alphabet), a.hidden)
adam = torch.optim.Adam(model.parameters(), lr=2e-3)
total = 4200  # the demo's schedule length: the rate at each measured step is the demo's


def rate(step):
    if step < 50:
        return 3e-3 * (step + 1) / 50
    return 3e-3 * 0.5 * (1 + math.cos(math.pi * min(1, (step - 50) / (total - 50))))


stride = len(train) // a.batch
offsets = torch.arange(a.batch) * stride
state = None
warmup = 10
for step in range(a.steps + warmup):
    if step == warmup:
        start = time.perf_counter()
    at = (offsets[None, :] + step * a.chunk + torch.arange(a.chunk)[:, None]) % (len(train) - 1)
    x, target = train[at], train[at + 1]
    for g in adam.param_groups:
        g["lr"] = rate(step)
    logits, state = model(x, state)
    state = tuple(s.detach() for s in state)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(alphabet)), target.reshape(-1))
    adam.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    adam.step()
seconds = time.perf_counter() - start
chars_per_second = a.steps * a.batch * a.chunk / seconds

with torch.no_grad():
    generator = torch.Generator().manual_seed(11)
    prompt = torch.tensor([[index[c]] for c in "Call me Ishmael. "])
    logits, state = model(prompt)
    last = logits[-1]
    start = time.perf_counter()
    for _ in range(a.length):
        nxt = torch.multinomial(torch.softmax(last[0] / 0.7, dim=-1), 1, generator=generator)
        logits, state = model(nxt.view(1, 1), state)
        last = logits[-1]
    per_char = (time.perf_counter() - start) / a.length * 1e6

# Debian's torch links the generic libblas.so.3, which the alternatives system points at OpenBLAS
# when libopenblas0-pthread is installed: the mapped file says which one runs
with open("/proc/self/maps") as maps:
    blas = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
print(f"pytorch {torch.__version__}, {a.threads} threads, BLAS {', '.join(blas) or 'none mapped'}")
print(f"training: {chars_per_second:,.0f} chars/s over {a.steps} steps (after {warmup} warm-up steps), "
      f"last loss {loss.item():.3f} nats")
print(f"generation: {per_char:.0f} us per character")
