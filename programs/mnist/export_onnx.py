"""Writes ALICE's committed MNIST model (programs/mnist/alice/*.npy) as an ONNX file, laid out as
PyTorch's exporter writes an nn.Sequential(Linear(784, 128), ReLU(), Linear(128, 128), ReLU(),
Linear(128, 10)): Gemm nodes with transB=1 and float32 weights [out, in], a dynamic batch size.

    python programs/mnist/export_onnx.py       # writes programs/mnist/mnist_mlp.onnx
    mpcc import programs/mnist/mnist_mlp.onnx --out /tmp/mnist

Needs numpy and onnx; checks the file against onnxruntime when it is installed.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
w = {k: np.load(os.path.join(HERE, "alice", f"{k}.npy")) for k in ["w1", "b1", "w2", "b2", "w3", "b3"]}
inits, nodes, x = [], [], "input"
for i, (wk, bk) in enumerate([("w1", "b1"), ("w2", "b2"), ("w3", "b3")], start=1):
    inits.append(numpy_helper.from_array(w[wk].T.astype(np.float32), f"fc{i}.weight"))
    inits.append(numpy_helper.from_array(w[bk].astype(np.float32), f"fc{i}.bias"))
    y = "logits" if i == 3 else f"/fc{i}/Gemm_output_0"
    nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [y], name=f"/fc{i}/Gemm",
                                  alpha=1.0, beta=1.0, transB=1))
    if i < 3:
        x = f"/relu{i}/Relu_output_0"
        nodes.append(helper.make_node("Relu", [y], [x], name=f"/relu{i}/Relu"))
graph = helper.make_graph(
    nodes, "mnist_mlp",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
    initializer=inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mpcc export_onnx.py")
onnx.checker.check_model(model)
path = os.path.join(HERE, "mnist_mlp.onnx")
onnx.save(model, path)
print(f"wrote {path} ({os.path.getsize(path)} bytes)")
try:
    import onnxruntime as ort
    x = np.random.default_rng(0).uniform(0, 1, (3, 784)).astype(np.float32)
    (y,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})
    ref = np.maximum(np.maximum(x @ w["w1"] + w["b1"], 0) @ w["w2"] + w["b2"], 0) @ w["w3"] + w["b3"]
    print("onnxruntime vs the f64 model: max |difference|", np.abs(y - ref).max())
except ImportError:
    pass
