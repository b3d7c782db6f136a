#!/usr/bin/python3
"""The job of `./jrnn translate` in PyTorch, as its peer for quality and speed: the same model on
the same pairs, trained the same way and scored by the same code.

Data: the directory `./jrnn translate --export DIR` writes (train.tsv and heldout.tsv: German TAB
English, tokens separated by spaces; de.vocab and en.vocab: one token a line, by id, with <unk>,
<s>, </s> as ids 0, 1, 2). Tokens outside a vocabulary read as <unk>.

Model (models/.../Seq2Seq.java): word vectors (N(0, 1) init) -> dropout -> LSTM encoder over each
source's own length; an LSTM decoder starting from the encoder's final states reads <s> and the
target shifted by one (teacher forcing), dropout on its word vectors; Luong's global dot attention
over each source's valid steps, h~ = tanh(W_c [c; d] + b_c), dropout, logits = W_o h~ + b_o; mean
cross-entropy per target word (with </s>). Adam (0.9, 0.999, 1e-8), linear warm-up over
min(100, steps / 10) steps then cosine decay to 0 at `steps`, gradient norm clipped at 5; batches
of a shuffled order epoch after epoch, the last incomplete batch of each epoch dropped.

Scoring (apps/.../TranslateCommand.java, Bleu.java): greedy decoding and beam search (finished
hypotheses ranked by log-probability per word, counting </s>; the search stops when `beam` have
finished), at most 2 * source length + 5 words, <unk> never written; corpus BLEU-4 against the
tokenized references (unknown words included), one reference per sentence, no smoothing.

    /usr/bin/python3 bench/pytorch/translate_peer.py DIR [--steps 1000] [--threads 2] [--hidden 128] ...

Prints which BLAS PyTorch loaded (Debian's python3-torch falls back to the reference BLAS, 3x
slower, unless libopenblas0-pthread is installed).
"""
import argparse
import math
import os
import time
from collections import Counter

import torch

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--steps", type=int, default=1000)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--hidden", type=int, default=128)
p.add_argument("--embedding", type=int, default=64)
p.add_argument("--learning-rate", type=float, default=2e-3)
p.add_argument("--dropout", type=float, default=0.0)
p.add_argument("--beam", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
UNK, BOS, EOS = 0, 1, 2
torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS
with open("/proc/self/maps") as f:
    blas = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
print("torch", torch.__version__, "threads", torch.get_num_threads(), "| BLAS mapped:", ", ".join(blas) or "none")


def read_vocab(name):
    with open(os.path.join(a.data, name), encoding="utf-8") as f:
        tokens = f.read().split("\n")
    tokens = tokens[:-1] if tokens and tokens[-1] == "" else tokens
    return tokens, {t: i for i, t in enumerate(tokens)}


def read_pairs(name):
    out = []
    with open(os.path.join(a.data, name), encoding="utf-8") as f:
        for line in f:
            de, en = line.rstrip("\n").split("\t")
            out.append((de.split(" "), en.split(" ")))
    return out


de_tokens, de_ids = read_vocab("de.vocab")
en_tokens, en_ids = read_vocab("en.vocab")
train = read_pairs("train.tsv")
test = read_pairs("heldout.tsv")
print(f"translate peer: {len(train)} training pairs, {len(test)} held out; vocabularies {len(de_tokens)} German, "
      f"{len(en_tokens)} English words")


def ids(tokens, vocab):
    return [vocab.get(t, UNK) for t in tokens]


train_ids = [(ids(d, de_ids), ids(e, en_ids)) for d, e in train]


class Seq2Seq(torch.nn.Module):
    def __init__(self, source_vocab, target_vocab, embedding, hidden, dropout):
        super().__init__()
        self.source_embedding = torch.nn.Embedding(source_vocab, embedding)
        self.encoder = torch.nn.LSTM(embedding, hidden)
        self.target_embedding = torch.nn.Embedding(target_vocab, embedding)
        self.decoder = torch.nn.LSTM(embedding, hidden)
        self.combine = torch.nn.Linear(2 * hidden, hidden)
        self.out = torch.nn.Linear(hidden, target_vocab)
        self.drop = torch.nn.Dropout(dropout)
        bound = 1 / math.sqrt(hidden)  # as jrnn: every LSTM parameter U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's default too)
        for rnn in (self.encoder, self.decoder):
            for w in rnn.parameters():
                torch.nn.init.uniform_(w, -bound, bound)

    def encode(self, source, lengths):
        """source [S, N] -> memory [S, N, H] (zero past each length), final (h, c) at each source's own last step."""
        x = self.drop(self.source_embedding(source))
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        y, state = self.encoder(packed)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=source.shape[0])
        return y, state

    def attend(self, memory, lengths, d):
        """memory [S, N, H], d [T, N, H] -> logits [T, N, V]."""
        e = memory.transpose(0, 1)  # [N, S, H]
        q = d.transpose(0, 1)  # [N, T, H]
        scores = torch.bmm(q, e.transpose(1, 2))  # [N, T, S]
        valid = torch.arange(e.shape[1])[None, :] < lengths[:, None]  # [N, S]
        scores = scores.masked_fill(~valid[:, None, :], float("-inf"))
        context = torch.bmm(torch.softmax(scores, dim=2), e)  # [N, T, H]
        h = torch.tanh(self.combine(torch.cat([context, q], dim=2)))
        return self.out(self.drop(h)).transpose(0, 1)

    def forward(self, source, source_lengths, decoder_input):
        memory, state = self.encode(source, source_lengths)
        d, _ = self.decoder(self.drop(self.target_embedding(decoder_input)), state)
        return self.attend(memory, source_lengths, d)


def batch(pairs):
    """Time-first ids padded with 0; targets with EOS appended, padding ignored (-1) by the loss."""
    n = len(pairs)
    s = max(len(x) for x, _ in pairs)
    t = max(len(y) for _, y in pairs) + 1
    source = torch.zeros(s, n, dtype=torch.long)
    target = torch.full((t, n), -1, dtype=torch.long)
    decoder_input = torch.zeros(t, n, dtype=torch.long)
    for i, (x, y) in enumerate(pairs):
        source[: len(x), i] = torch.tensor(x)
        y = y + [EOS]
        target[: len(y), i] = torch.tensor(y)
        decoder_input[0, i] = BOS
        decoder_input[1: len(y), i] = torch.tensor(y[:-1])
    lengths = torch.tensor([len(x) for x, _ in pairs])
    return source, lengths, decoder_input, target


def loss_of(model, pairs):
    source, lengths, decoder_input, target = batch(pairs)
    logits = model(source, lengths, decoder_input)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-1)


model = Seq2Seq(len(de_tokens), len(en_tokens), a.embedding, a.hidden, a.dropout)
adam = torch.optim.Adam(model.parameters(), lr=a.learning_rate, betas=(0.9, 0.999), eps=1e-8)
warmup = min(100, a.steps // 10)


def rate(step):
    if step < warmup:
        return a.learning_rate * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, a.steps - warmup))
    return a.learning_rate * 0.5 * (1 + math.cos(math.pi * progress))


shuffle = torch.Generator().manual_seed(3)
size = min(a.batch, len(train_ids))
order, at = [], 0
losses = []
model.train()
started = time.perf_counter()
for step in range(a.steps):
    if at + size > len(order):  # a new epoch: drop the last incomplete batch
        order, at = torch.randperm(len(train_ids), generator=shuffle).tolist(), 0
    chunk = [train_ids[i] for i in order[at: at + size]]
    at += size
    for g in adam.param_groups:
        g["lr"] = rate(step)
    loss = loss_of(model, chunk)
    adam.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    adam.step()
    losses.append(loss.item())
    if (step + 1) % 50 == 0 or step + 1 == a.steps:
        elapsed = time.perf_counter() - started
        print(f"step {step + 1}/{a.steps}  loss {loss.item():.4f}  {(step + 1) * size / elapsed:.0f} pairs/s  elapsed {elapsed:.0f} s", flush=True)
trained = time.perf_counter() - started
last = losses[-max(1, len(losses) // 10):]
print(f"trained in {trained:.1f} s; training loss {sum(last) / len(last):.3f} nats per word (last 10% of steps)")

model.eval()
with torch.no_grad():
    checked = min(256, len(test))
    own = [(ids(test[i][0], de_ids), ids(test[i][1], en_ids)) for i in range(checked)]
    other = [(ids(test[(i + 1) % len(test)][0], de_ids), ids(test[i][1], en_ids)) for i in range(checked)]
    print(f"held-out loss ({checked} pairs, nats per word): after its own German {loss_of(model, own).item():.3f}, "
          f"after another pair's German {loss_of(model, other).item():.3f}")


def best(logp, k):
    """Indices of the k largest values, largest first, the lower index first among equals (as jrnn's stable sort)."""
    values = logp.tolist()
    return sorted(range(len(values)), key=lambda i: -values[i])[:k]


def translate(source, max_length, width, normalised):
    """Seq2Seq.translate: beam search (width 1: greedy) exactly as jrnn does it."""
    src = torch.tensor(source)[:, None]
    memory, (h, c) = model.encoder(model.source_embedding(src))
    lengths = torch.tensor([len(source)])
    live = [([], 0.0)]
    best_h, best_rank, finished = None, -math.inf, 0
    for step in range(max_length):
        if not live:
            break
        beams = len(live)
        x = torch.tensor([[BOS if step == 0 else hyp[0][step - 1] for hyp in live]])
        d, (hn, cn) = model.decoder(model.target_embedding(x), (h, c))
        logits = model.attend(memory.expand(-1, beams, -1), lengths.expand(beams), d)[0]
        logp = torch.log_softmax(logits.double(), dim=1)
        logp[:, UNK] = -math.inf
        candidates = []
        for b in range(beams):
            for v in best(logp[b], width):
                candidates.append((b, v, live[b][1] + logp[b, v].item()))
        candidates.sort(key=lambda x: -x[2])  # stable, as List.sort
        nxt, parents = [], []
        for parent, token, score in candidates[:width]:
            prefix = live[parent][0]
            if token == EOS:
                finished += 1
                rank = score / (len(prefix) + 1) if normalised else score
                if rank > best_rank:
                    best_h, best_rank = (prefix, score), rank
            else:
                nxt.append((prefix + [token], score))
                parents.append(parent)
        live = nxt
        if not live or (finished >= width if normalised else best_h is not None and best_h[1] >= live[0][1]):
            live = []
            break
        h, c = hn[:, parents], cn[:, parents]
    for tokens, score in live:
        rank = score / max(1, len(tokens)) if normalised else score
        if rank > best_rank:
            best_h, best_rank = (tokens, score), rank
    return [en_tokens[t] for t in best_h[0]]


def counts(tokens, n):
    return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))


def bleu(hypotheses, references):
    """Bleu.corpus: corpus BLEU-4, clipped counts, brevity penalty, no smoothing."""
    matches, totals, c, r = [0] * 4, [0] * 4, 0, 0
    for h, ref in zip(hypotheses, references):
        c += len(h)
        r += len(ref)
        for n in range(1, 5):
            available = counts(ref, n)
            matches[n - 1] += sum(min(k, available.get(g, 0)) for g, k in counts(h, n).items())
            totals[n - 1] += max(0, len(h) - n + 1)
    precisions = [m / t if t else 0.0 for m, t in zip(matches, totals)]
    brevity = 0.0 if c == 0 else 1.0 if c >= r else math.exp(1 - r / c)
    score = 0.0 if min(precisions) == 0 else brevity * math.exp(sum(math.log(q) for q in precisions) / 4)
    return score, precisions, brevity, c, r


def report(what, s):
    score, q, brevity, c, r = s
    print(f"  {what:<28} BLEU {100 * score:5.2f}  (precisions {q[0]:.3f} {q[1]:.3f} {q[2]:.3f} {q[3]:.3f}, "
          f"brevity penalty {brevity:.3f}, {c} words for {r})")


started = time.perf_counter()
references, copies, greedy, beamed = [], [], [], []
with torch.no_grad():
    for de, en in test:
        source = ids(de, de_ids)
        references.append(en)
        copies.append(de)
        greedy.append(translate(source, 2 * len(source) + 5, 1, False))
        beamed.append(translate(source, 2 * len(source) + 5, a.beam, True))
print(f"held-out corpus BLEU-4 ({len(test)} pairs, {sum(map(len, references))} reference words; "
      f"decoding {time.perf_counter() - started:.1f} s):")
report("copy the German (baseline)", bleu(copies, references))
report("greedy", bleu(greedy, references))
report(f"beam, width {a.beam}, per word", bleu(beamed, references))
for i in range(min(4, len(test))):
    print("  de:    " + " ".join(test[i][0]))
    print("  en:    " + " ".join(references[i]))
    print("  greedy " + " ".join(greedy[i]))
    print("  beam   " + " ".join(beamed[i]))
