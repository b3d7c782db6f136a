#!/usr/bin/python3
"""Writes the .npy files that NpyTest reads: what numpy.save itself produces.

    /usr/bin/python3 models/src/test/python/make_io_fixtures.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "dev", "jrnn", "models", "io")
os.makedirs(OUT, exist_ok=True)
np.save(os.path.join(OUT, "f32_2x3.npy"), np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
np.save(os.path.join(OUT, "f32_5.npy"), np.array([1.5, -2, 0, 3e-8, 7], dtype=np.float32))
np.save(os.path.join(OUT, "f64_2x2x2.npy"), np.arange(8, dtype=np.float64).reshape(2, 2, 2) / 3)
np.save(os.path.join(OUT, "fortran_2x3.npy"), np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(os.path.join(OUT, "i64_3.npy"), np.arange(3, dtype=np.int64))
np.save(os.path.join(OUT, "i32_2x2.npy"), np.array([[7, -1], [2**31 - 1, 0]], dtype=np.int32))
np.save(os.path.join(OUT, "i64_big.npy"), np.array([2**40, -5], dtype=np.int64))
np.save(os.path.join(OUT, "u8_2.npy"), np.array([1, 2], dtype=np.uint8))
