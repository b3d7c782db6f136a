#!/usr/bin/python3
"""Writes the PyTorch fixtures that the reference backend is tested against.

Run with Debian's PyTorch (apt-get install python3-torch), from anywhere:
    /usr/bin/python3 core/src/test/python/make_pytorch_fixtures.py

Each case builds torch.nn.RNN / LSTM / GRU with random float32 weights, inputs, initial states
and output gradients, then computes in float64 (the float32 values converted exactly), so the
expected numbers carry no float32 rounding of their own:
    output, (h_n, c_n) = module(input, (h_0, c_0))
    loss = sum(output * dy) + sum(h_n * dh_n) + sum(c_n * dc_n)
and records output, h_n, c_n and the gradient of loss w.r.t. input, h_0, c_0 and every parameter.

Packed cases (a 'lengths' header, comma separated, unsorted) run the module on
torch.nn.utils.rnn.pack_padded_sequence(input, lengths, enforce_sorted=False) and record the output
padded back with zeros (pad_packed_sequence, total_length=T): PyTorch's variable-length semantics,
including the reverse direction over each sequence's own steps and h_n at each sequence's end.

File format (text, whitespace separated): '#' comment lines, 'key value' header lines, then
    tensor NAME d0 d1 ...
    v0 v1 ... (row-major, %.17g)
"""
import os
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "resources", "dev", "jrnn", "core", "fixtures")

# name, cell, layers, bidirectional, batch_first, T, N, I, H, with h0/c0, with dh_n/dc_n
CASES = [
    ("lstm_l1_uni", "LSTM", 1, False, False, 5, 3, 7, 6, True, True),
    ("lstm_l2_bi", "LSTM", 2, True, False, 4, 2, 5, 3, True, True),
    ("lstm_l3_bi_tiny", "LSTM", 3, True, False, 1, 1, 1, 1, True, True),
    ("lstm_l2_uni_batch_first", "LSTM", 2, False, True, 6, 3, 4, 5, False, True),
    ("gru_l1_uni", "GRU", 1, False, False, 6, 2, 4, 5, True, True),
    ("gru_l2_bi", "GRU", 2, True, False, 3, 3, 3, 4, True, False),
    ("gru_l1_bi_batch_first", "GRU", 1, True, True, 5, 2, 3, 7, True, True),
    ("rnn_tanh_l1_uni", "RNN_TANH", 1, False, False, 7, 2, 3, 4, False, False),
    ("rnn_tanh_l3_bi", "RNN_TANH", 3, True, False, 4, 2, 3, 3, True, True),
    ("rnn_relu_l2_uni", "RNN_RELU", 2, False, False, 5, 3, 4, 17, True, True),
    ("rnn_relu_l1_bi_batch_first", "RNN_RELU", 1, True, True, 4, 2, 5, 3, True, True),
]

# packed sequences: the same fields, then the lengths (unsorted, with 1 and T among them)
PACKED = [
    ("packed_lstm_l2_bi", "LSTM", 2, True, False, 6, 4, 5, 4, True, True, [3, 6, 1, 4]),
    ("packed_lstm_l1_uni_batch_first", "LSTM", 1, False, True, 5, 3, 3, 6, True, True, [2, 5, 1]),
    ("packed_gru_l2_bi", "GRU", 2, True, False, 5, 3, 4, 5, True, True, [1, 5, 3]),
    ("packed_gru_l1_uni", "GRU", 1, False, False, 7, 4, 3, 3, False, True, [7, 2, 2, 1]),
    ("packed_rnn_tanh_l3_bi", "RNN_TANH", 3, True, False, 4, 3, 3, 3, True, True, [4, 1, 2]),
    ("packed_rnn_relu_l1_bi_batch_first", "RNN_RELU", 1, True, True, 5, 3, 4, 5, True, True, [5, 3, 1]),
]


def module_for(cell, layers, bidirectional, batch_first, inp, hid):
    kw = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if cell == "LSTM":
        return torch.nn.LSTM(inp, hid, **kw)
    if cell == "GRU":
        return torch.nn.GRU(inp, hid, **kw)
    return torch.nn.RNN(inp, hid, nonlinearity="tanh" if cell == "RNN_TANH" else "relu", **kw)


def write_tensor(f, name, t):
    t = t.detach().to(torch.float64).contiguous()
    f.write("tensor %s %s\n" % (name, " ".join(str(s) for s in t.shape)))
    f.write(" ".join("%.17g" % v for v in t.reshape(-1).tolist()))
    f.write("\n")


def make(case, seed):
    name, cell, layers, bi, batch_first, T, N, I, H, with_h0, with_dhn = case[:11]
    lengths = case[11] if len(case) > 11 else None
    torch.manual_seed(seed)
    m = module_for(cell, layers, bi, batch_first, I, H)          # float32 init, PyTorch's default
    for p in m.parameters():                                      # wider than default, exercises the nonlinearity
        with torch.no_grad():
            p.uniform_(-0.6, 0.6)
    m = m.double()
    D = 2 if bi else 1
    shape = (N, T, I) if batch_first else (T, N, I)
    x = torch.empty(shape).uniform_(-1, 1).double().requires_grad_()
    h0 = torch.empty(layers * D, N, H).uniform_(-1, 1).double().requires_grad_() if with_h0 else None
    c0 = torch.empty(layers * D, N, H).uniform_(-1, 1).double().requires_grad_() if with_h0 and cell == "LSTM" else None
    inp = x
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                                      enforce_sorted=False)
    if cell == "LSTM":
        out, (hn, cn) = m(inp, (h0, c0)) if with_h0 else m(inp)
    else:
        out, hn = m(inp, h0) if with_h0 else m(inp)
        cn = None
    if lengths is not None:
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    dy = torch.empty(out.shape).uniform_(-1, 1).double()
    loss = (out * dy).sum()
    dhn = dcn = None
    if with_dhn:
        dhn = torch.empty(hn.shape).uniform_(-1, 1).double()
        loss = loss + (hn * dhn).sum()
        if cn is not None:
            dcn = torch.empty(cn.shape).uniform_(-1, 1).double()
            loss = loss + (cn * dcn).sum()
    loss.backward()

    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write("# PyTorch %s fixture made by core/src/test/python/make_pytorch_fixtures.py (torch %s, float64)\n"
                % (name, torch.__version__))
        for key, value in [("cell", cell), ("layers", layers), ("bidirectional", int(bi)),
                           ("batch_first", int(batch_first)), ("steps", T), ("batch", N),
                           ("input_size", I), ("hidden_size", H)]:
            f.write("%s %s\n" % (key, value))
        if lengths is not None:
            f.write("lengths %s\n" % ",".join(str(v) for v in lengths))
        write_tensor(f, "input", x)
        for tname, t in [("h0", h0), ("c0", c0)]:
            if t is not None:
                write_tensor(f, tname, t)
        for pname, p in m.named_parameters():
            write_tensor(f, pname, p)
        write_tensor(f, "dy", dy)
        for tname, t in [("dhn", dhn), ("dcn", dcn)]:
            if t is not None:
                write_tensor(f, tname, t)
        write_tensor(f, "output", out)
        write_tensor(f, "hn", hn)
        if cn is not None:
            write_tensor(f, "cn", cn)
        write_tensor(f, "grad.input", x.grad)
        for tname, t in [("grad.h0", h0), ("grad.c0", c0)]:
            if t is not None:
                write_tensor(f, tname, t.grad)
        for pname, p in m.named_parameters():
            write_tensor(f, "grad." + pname, p.grad)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, case in enumerate(CASES):
        make(case, 1000 + i)
        print("wrote", case[0])
    for i, case in enumerate(PACKED):
        make(case, 2000 + i)
        print("wrote", case[0])
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("".join(case[0] + "\n" for case in CASES + PACKED))
