#!/usr/bin/python3
"""The ONNX oracles of jrnn-onnx's tests: models exported by PyTorch, with PyTorch's outputs.

Run with Debian's python3-torch (PyTorch 1.13) and python3-onnx:

    /usr/bin/python3 onnx/src/test/python/make_fixtures.py

It writes into onnx/src/test/resources/dev/jrnn/onnx/fixtures/, for each case NAME:
    NAME.onnx            the model (torch.onnx.export at opset 14, batch and time axes dynamic;
                         packed sequences' graphs have a fixed batch, see packed_cases),
                         or, for what PyTorch never exports (direction=reverse, layout=1,
                         sequence_lens beside initial states), a graph built with onnx.helper
                         from a PyTorch module's weights (onnx_*), or a graph of the other
                         operators with numpy's results (ops_*)
    NAME.<input>.npy     each graph input, at a length and batch other than the export's
    NAME.<output>.npy    PyTorch's outputs for them (float32)
and cases.txt, one NAME per line. Everything is seeded: a rerun writes the same numbers.
"""
import os
import sys
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'dev', 'jrnn', 'onnx', 'fixtures')
OPSET = 14
EXPORT_T, EXPORT_N = 5, 2  # the length and batch the graphs are traced at
T, N = 7, 3                 # the length and batch the oracles are computed at
IN, HID = 4, 3              # tiny: the whole folder stays small

cases = []


def seed(*key):
    """A seed of its own per case, the same in every run (Python's hash() of a string is not)."""
    return zlib.crc32(repr(key).encode())


def save(name, arrays):
    for key, value in arrays.items():
        np.save(os.path.join(OUT, f'{name}.{key}.npy'), value)
    cases.append(name)


def export(name, module, args, input_names, output_names, dynamic_axes):
    module.eval()
    torch.onnx.export(module, args, os.path.join(OUT, name + '.onnx'), opset_version=OPSET,
                      input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
                      do_constant_folding=True)


def rnn_class(cell):
    return {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn_tanh': torch.nn.RNN, 'rnn_relu': torch.nn.RNN}[cell]


def make_rnn(cell, layers, bidirectional, batch_first):
    kwargs = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if cell.startswith('rnn_'):
        kwargs['nonlinearity'] = cell[4:]
    return rnn_class(cell)(IN, HID, **kwargs)


class Stack(torch.nn.Module):
    """A bare recurrent stack, returning (output, h_n[, c_n]), with or without initial states."""

    def __init__(self, rnn, with_state):
        super().__init__()
        self.rnn = rnn
        self.with_state = with_state

    def forward(self, x, *state):
        if not self.with_state:
            out = self.rnn(x)
        elif isinstance(self.rnn, torch.nn.LSTM):
            out = self.rnn(x, (state[0], state[1]))
        else:
            out = self.rnn(x, state[0])
        y, states = out
        return (y, *states) if isinstance(states, tuple) else (y, states)


class Packed(torch.nn.Module):
    """A stack on padded sequences of the given lengths (PyTorch's packed sequences)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, lengths):
        # sorted lengths: unsorted ones export as a sort (TopK, ScatterElements) around the same RNN node
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=self.rnn.batch_first)
        y, states = self.rnn(packed)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=self.rnn.batch_first, total_length=x.shape[
            1 if self.rnn.batch_first else 0])
        return (y, *states) if isinstance(states, tuple) else (y, states)


def stack_cases():
    for cell in ['lstm', 'gru', 'rnn_tanh', 'rnn_relu']:
        for layers in [1, 2, 3]:
            for bidirectional in [False, True]:
                for batch_first in [False, True]:
                    torch.manual_seed(seed(cell, layers, bidirectional, batch_first))
                    rnn = make_rnn(cell, layers, bidirectional, batch_first)
                    lstm = cell == 'lstm'
                    # initial states as inputs in half the cases; zeros built inside the graph in the others
                    with_state = (layers + bidirectional + batch_first) % 2 == 1
                    name = f'{cell}_l{layers}_{"bi" if bidirectional else "uni"}_{"bf" if batch_first else "tf"}' \
                           + ('_h0' if with_state else '')
                    module = Stack(rnn, with_state)
                    seq = {0: 'N', 1: 'T'} if batch_first else {0: 'T', 1: 'N'}
                    states = ['hn', 'cn'] if lstm else ['hn']
                    names_in = ['x'] + ([s.replace('n', '0') for s in states] if with_state else [])
                    dyn = {'x': seq, 'y': seq}
                    dyn.update({s: {1: 'N'} for s in states + (names_in[1:])})
                    ld = layers * (2 if bidirectional else 1)

                    def inputs(t, n):
                        x = torch.randn(*((n, t, IN) if batch_first else (t, n, IN)))
                        return [x] + ([torch.randn(ld, n, HID) for _ in states] if with_state else [])

                    export(name, module, tuple(inputs(EXPORT_T, EXPORT_N)), names_in, ['y'] + states, dyn)
                    args = inputs(T, N)
                    with torch.no_grad():
                        outs = module(*args)
                    arrays = {k: v.numpy() for k, v in zip(names_in, args)}
                    arrays.update({k: v.numpy() for k, v in zip(['y'] + states, outs)})
                    save(name, arrays)


def packed_cases():
    """sequence_lens: PyTorch's export of pack_padded_sequence."""
    for cell, layers, bidirectional, batch_first in [('lstm', 2, True, False), ('gru', 1, False, True),
                                                    ('rnn_tanh', 2, False, False), ('gru', 3, True, True)]:
        torch.manual_seed(seed('packed', cell, layers, bidirectional, batch_first))
        rnn = make_rnn(cell, layers, bidirectional, batch_first)
        module = Packed(rnn)
        name = f'packed_{cell}_l{layers}_{"bi" if bidirectional else "uni"}_{"bf" if batch_first else "tf"}'
        states = ['hn', 'cn'] if cell == 'lstm' else ['hn']
        seq = {0: 'N', 1: 'T'} if batch_first else {0: 'T', 1: 'N'}

        def inputs(t, n, lengths):
            x = torch.randn(*((n, t, IN) if batch_first else (t, n, IN)))
            return x, torch.tensor(lengths, dtype=torch.int64)

        # batch N at export: PyTorch 1.13 traces the zero initial states of packed sequences at the
        # export's batch (an initializer Expand-ed to the batch, which cannot grow 2 to 3); the length is dynamic
        export(name, module, inputs(EXPORT_T, N, [EXPORT_T, 3, 2]), ['x', 'lengths'], ['y'] + states,
               {'x': seq, 'y': seq, 'lengths': {0: 'N'}, **{s: {1: 'N'} for s in states}})
        x, lengths = inputs(T, N, [T, 4, 2])
        with torch.no_grad():
            outs = module(x, lengths)
        arrays = {'x': x.numpy(), 'lengths': lengths.numpy()}
        arrays.update({k: v.numpy() for k, v in zip(['y'] + states, outs)})
        save(name, arrays)


ONNX_GATES = {'lstm': [0, 3, 1, 2],  # PyTorch i f g o -> ONNX i o f c
              'gru': [1, 0, 2],      # PyTorch r z n -> ONNX z r h
              'rnn_tanh': [0], 'rnn_relu': [0]}


def onnx_weights(rnn, cell, suffix):
    """W [1, G*H, I], R [1, G*H, H], B [1, 2*G*H] of one direction of layer 0, in ONNX's gate order."""
    def reorder(t):
        parts = t.detach().numpy().reshape(len(ONNX_GATES[cell]), HID, -1)
        return np.concatenate([parts[g] for g in ONNX_GATES[cell]]).reshape(t.shape)
    w = reorder(getattr(rnn, 'weight_ih_l0' + suffix))
    r = reorder(getattr(rnn, 'weight_hh_l0' + suffix))
    b = np.concatenate([reorder(getattr(rnn, 'bias_ih_l0' + suffix)), reorder(getattr(rnn, 'bias_hh_l0' + suffix))])
    return w[None], r[None], b[None]


def flip(x, lengths):
    """Each sequence's first lengths[n] steps reversed ([T, N, C]); the padding stays where it is."""
    out = x.clone()
    for n, length in enumerate(lengths):
        out[:length, n] = x[:length, n].flip(0)
    return out


def handmade_cases():
    """One-layer ONNX RNN nodes PyTorch does not emit: direction=reverse, layout=1, sequence_lens with
    initial states. The oracle is PyTorch's module run on the same data (reversed, per sequence, for
    reverse; packed for sequence_lens)."""
    for cell, direction, layout, with_lens in [('lstm', 'reverse', 0, True), ('gru', 'reverse', 1, False),
                                               ('rnn_tanh', 'forward', 1, True), ('lstm', 'bidirectional', 1, True),
                                               ('gru', 'forward', 0, True), ('rnn_relu', 'reverse', 0, True)]:
        torch.manual_seed(seed('handmade', cell, direction, layout, with_lens))
        bidirectional = direction == 'bidirectional'
        rnn = make_rnn(cell, 1, bidirectional, False)
        dirs = 2 if bidirectional else 1
        lstm = cell == 'lstm'
        parts = [onnx_weights(rnn, cell, '')] + ([onnx_weights(rnn, cell, '_reverse')] if bidirectional else [])
        w, r, b = (np.concatenate([p[i] for p in parts]) for i in range(3))
        name = f'onnx_{cell}_{direction}_layout{layout}' + ('_lens' if with_lens else '')
        lengths = [T, 3, 5] if with_lens else [T] * N
        x = torch.randn(T, N, IN)
        for n, length in enumerate(lengths):
            x[length:, n] = 0  # padding: any value would do, zeros keep the oracle plain
        h0 = torch.randn(dirs, N, HID)
        c0 = torch.randn(dirs, N, HID) if lstm else None
        with torch.no_grad():
            if direction == 'reverse':
                args = (h0, c0) if lstm else h0
                packed = torch.nn.utils.rnn.pack_padded_sequence(flip(x, lengths), lengths, enforce_sorted=False)
                y, states = rnn(packed, args)
                y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=T)
                y = flip(y, lengths)
            else:
                packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
                y, states = rnn(packed, (h0, c0) if lstm else h0)
                y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=T)
        hn, cn = states if lstm else (states, None)
        y = y.reshape(T, N, dirs, HID).permute(0, 2, 1, 3)  # ONNX's Y: [T, D, N, H]

        def lay(seq, state):  # layout 1: [N, T, D, H] and [N, D, H]
            return (seq.permute(2, 0, 1, 3), state.permute(1, 0, 2)) if layout else (seq, state)
        xs = x.permute(1, 0, 2) if layout else x
        y, hn = lay(y, hn)
        if lstm:
            _, cn = lay(y, cn)
            _, c0l = lay(y, c0)
        _, h0l = lay(y, h0)
        op = {'lstm': 'LSTM', 'gru': 'GRU', 'rnn_tanh': 'RNN', 'rnn_relu': 'RNN'}[cell]
        attrs = dict(direction=direction, hidden_size=HID, layout=layout)
        if cell == 'gru':
            attrs['linear_before_reset'] = 1
        if cell == 'rnn_relu':
            attrs['activations'] = ['Relu'] * dirs
        node_inputs = ['x', 'W', 'R', 'B', 'lengths' if with_lens else '', 'h0'] + (['c0'] if lstm else [])
        outputs = ['y', 'hn'] + (['cn'] if lstm else [])
        node = helper.make_node(op, node_inputs, outputs, name='rnn', **attrs)
        seq_dims, state_dims = (['N', 'T'], ['N', dirs]) if layout else (['T', 'N'], [dirs, 'N'])
        graph_inputs = [helper.make_tensor_value_info('x', TensorProto.FLOAT, seq_dims + [IN])]
        if with_lens:
            graph_inputs.append(helper.make_tensor_value_info('lengths', TensorProto.INT32, ['N']))
        graph_inputs += [helper.make_tensor_value_info(s, TensorProto.FLOAT, state_dims + [HID])
                         for s in (['h0', 'c0'] if lstm else ['h0'])]
        y_dims = ['N', 'T', dirs, HID] if layout else ['T', dirs, 'N', HID]
        graph_outputs = [helper.make_tensor_value_info('y', TensorProto.FLOAT, y_dims)]
        graph_outputs += [helper.make_tensor_value_info(s, TensorProto.FLOAT, state_dims + [HID])
                          for s in outputs[1:]]
        inits = [numpy_helper.from_array(a, k) for a, k in [(w, 'W'), (r, 'R'), (b, 'B')]]
        graph = helper.make_graph([node], name, graph_inputs, graph_outputs, inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='make_fixtures.py')
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(OUT, name + '.onnx'))
        arrays = {'x': xs.numpy(), 'h0': h0l.numpy(), 'y': y.contiguous().numpy(), 'hn': hn.contiguous().numpy()}
        if with_lens:
            arrays['lengths'] = np.array(lengths, dtype=np.int32)
        if lstm:
            arrays.update(c0=c0l.contiguous().numpy(), cn=cn.contiguous().numpy())
        save(name, arrays)


class Tagger(torch.nn.Module):
    """Embedding + 2-layer bidirectional LSTM + linear: per-token log-probabilities and a sentence's class."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(20, 5)
        self.rnn = torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.tags = torch.nn.Linear(8, 3)
        self.classes = torch.nn.Linear(8, 2)

    def forward(self, tokens):
        y, (h, c) = self.rnn(self.embed(tokens))
        tags = torch.log_softmax(self.tags(y), dim=-1)
        sentence = torch.cat([h[-2], h[-1]], dim=1)  # the last layer's two directions
        return tags, torch.softmax(self.classes(torch.tanh(sentence)), dim=-1)


class Forecaster(torch.nn.Module):
    """GRU + linear on a time series: the next value from the last step."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(2, 6, num_layers=2, batch_first=True)
        self.hidden = torch.nn.Linear(6, 4)
        self.out = torch.nn.Linear(4, 1)

    def forward(self, series):
        y, _ = self.rnn(series)
        last = y[:, -1, :]
        return self.out(torch.relu(self.hidden(last))), torch.sigmoid(y)


def whole_model_cases():
    torch.manual_seed(7)
    tagger = Tagger()
    export('tagger', tagger, (torch.randint(0, 20, (EXPORT_N, EXPORT_T)),), ['tokens'], ['tags', 'sentence'],
           {'tokens': {0: 'N', 1: 'T'}, 'tags': {0: 'N', 1: 'T'}, 'sentence': {0: 'N'}})
    tokens = torch.randint(0, 20, (N, T))
    with torch.no_grad():
        tags, sentence = tagger(tokens)
    save('tagger', {'tokens': tokens.numpy(), 'tags': tags.numpy(), 'sentence': sentence.numpy()})

    torch.manual_seed(8)
    forecaster = Forecaster()
    export('forecaster', forecaster, (torch.randn(EXPORT_N, EXPORT_T, 2),), ['series'], ['next', 'states'],
           {'series': {0: 'N', 1: 'T'}, 'next': {0: 'N'}, 'states': {0: 'N', 1: 'T'}})
    t = torch.arange(T * N, dtype=torch.float32).reshape(N, T, 1)
    series = torch.cat([torch.sin(t / 3), torch.cos(t / 5)], dim=2)
    with torch.no_grad():
        nxt, states = forecaster(series)
    save('forecaster', {'series': series.numpy(), 'next': nxt.numpy(), 'states': states.numpy()})


def op_graph(name, nodes, inputs, outputs, initializers=(), opset=OPSET):
    """A graph of the operators around the recurrent ones, with numpy's outputs: their semantics
    (negative axes and steps, broadcasting, transposed Gemm, Softmax before and after opset 13)."""
    graph_inputs = [helper.make_tensor_value_info(k, TensorProto.FLOAT if v.dtype == np.float32 else TensorProto.INT64,
                                                  list(v.shape)) for k, v in inputs.items()]
    graph_outputs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in outputs.items()]
    inits = [numpy_helper.from_array(v, k) for v, k in initializers]
    graph = helper.make_graph(nodes, name, graph_inputs, graph_outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='make_fixtures.py')
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name + '.onnx'))
    save(name, {**inputs, **outputs})


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def op_cases():
    rng = np.random.default_rng(11)

    def r(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    x = r(4, 5, 6)
    op_graph('ops_slice', [
        helper.make_node('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], ['back']),
        helper.make_node('Slice', ['x', 'starts2', 'ends2'], ['middle'])],
        {'x': x}, {'back': x[3::-2, :, 0:5:2], 'middle': x[1:-1, -4:100]},
        [(np.array([-1, 0], np.int64), 'starts'), (np.array([-1000, 5], np.int64), 'ends'),
         (np.array([0, -1], np.int64), 'axes'), (np.array([-2, 2], np.int64), 'steps'),
         (np.array([1, -4], np.int64), 'starts2'), (np.array([-1, 100], np.int64), 'ends2')])

    a, b, v = r(2, 1, 3, 4), r(5, 4, 2), r(4)
    op_graph('ops_matmul', [helper.make_node('MatMul', ['a', 'b'], ['ab']), helper.make_node('MatMul', ['v', 'b'], ['vb']),
                            helper.make_node('MatMul', ['a', 'v'], ['av'])],
             {'a': a, 'b': b, 'v': v}, {'ab': np.matmul(a, b), 'vb': np.matmul(v, b), 'av': np.matmul(a, v)})

    a, b, c = r(4, 3), r(5, 4), r(5)
    op_graph('ops_gemm', [helper.make_node('Gemm', ['a', 'b', 'c'], ['y'], alpha=0.5, beta=2.0, transA=1, transB=1)],
             {'a': a, 'b': b, 'c': c}, {'y': (0.5 * a.T @ b.T + 2 * c).astype(np.float32)})

    x = r(2, 3, 4)
    op_graph('ops_softmax', [helper.make_node('Softmax', ['x'], ['s1'], axis=1),
                             helper.make_node('LogSoftmax', ['x'], ['ls']),
                             helper.make_node('Sigmoid', ['x'], ['sig']), helper.make_node('Tanh', ['x'], ['th']),
                             helper.make_node('Relu', ['x'], ['re'])],
             {'x': x}, {'s1': softmax(x, 1), 'ls': np.log(softmax(x, -1)), 'sig': 1 / (1 + np.exp(-x)),
                        'th': np.tanh(x), 're': np.maximum(x, 0)})
    # before opset 13, Softmax flattens the axes from `axis` on into one
    op_graph('ops_softmax_opset11', [helper.make_node('Softmax', ['x'], ['s'], axis=1)],
             {'x': x}, {'s': softmax(x.reshape(2, 12), 1).reshape(2, 3, 4)}, opset=11)

    x, y, tokens = r(3, 1), r(2, 1, 4), np.array([[0, -1], [2, 1]], np.int64)
    table = r(3, 4)
    op_graph('ops_shapes', [
        helper.make_node('Expand', ['x', 'shape'], ['expanded']),
        helper.make_node('Unsqueeze', ['x', 'axes'], ['u']),
        helper.make_node('Squeeze', ['u', 'axes'], ['sq']),
        helper.make_node('Transpose', ['y'], ['t'], perm=[2, 0, 1]),
        helper.make_node('Reshape', ['y', 'target'], ['reshaped']),
        helper.make_node('Concat', ['y', 'y'], ['cat'], axis=-2),
        helper.make_node('Gather', ['table', 'tokens'], ['rows'], axis=1),
        helper.make_node('Sub', ['y', 'x4'], ['diff']),
        helper.make_node('Mul', ['diff', 'y'], ['prod']),
        helper.make_node('Div', ['prod', 'two'], ['half']),
        helper.make_node('Shape', ['y'], ['yshape']),
        helper.make_node('ConstantOfShape', ['yshape'], ['sevens'], value=helper.make_tensor('v', TensorProto.INT64, [1], [7])),
        helper.make_node('Cast', ['sevens'], ['sevens_f'], to=TensorProto.FLOAT),
        helper.make_node('Add', ['sevens_f', 'y'], ['plus7'])],
        {'x': x, 'y': y, 'tokens': tokens},
        {'expanded': np.broadcast_to(x, (2, 3, 4)).copy(), 'sq': x, 't': y.transpose(2, 0, 1).copy(),
         'reshaped': y.reshape(2, 4, 1), 'cat': np.concatenate([y, y], axis=-2), 'rows': table[:, tokens],
         'half': ((y - x4_value()) * y / 2).astype(np.float32),
         'plus7': (7 + y).astype(np.float32)},
        [(np.array([2, 3, 4], np.int64), 'shape'), (np.array([0, -1], np.int64), 'axes'),
         (np.array([0, -1, 1], np.int64), 'target'), (table, 'table'), (x4_value(), 'x4'),
         (np.array(2, np.float32), 'two')])


def x4_value():
    return np.array([0.5, -1, 2, 0.25], np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    stack_cases()
    packed_cases()
    handmade_cases()
    whole_model_cases()
    op_cases()
    with open(os.path.join(OUT, 'cases.txt'), 'w') as f:
        f.write(f'# written by onnx/src/test/python/make_fixtures.py with PyTorch {torch.__version__}, '
                f'onnx {onnx.__version__}\n')
        f.writelines(c + '\n' for c in cases)
    ops = set()
    for c in cases:
        ops.update(n.op_type for n in onnx.load(os.path.join(OUT, c + '.onnx')).graph.node)
    print(len(cases), 'cases; operators:', ' '.join(sorted(ops)), file=sys.stderr)


if __name__ == '__main__':
    main()
