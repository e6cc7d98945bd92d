#!/usr/bin/env python3
"""Writes the engine benchmark's workflows (one JSON file per shape) next to this script.

The files are committed; rerun this only to change a shape. `thaiyyal bench engine` runs every
*.json file here (or the files it is given) and prints one line per file.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, nodes, edges):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"nodes": nodes, "edges": edges}, f, indent=1)
        f.write("\n")


def edge(source, target, handle=None):
    e = {"source": source, "target": target}
    if handle is not None:
        e["sourceHandle"] = handle
    return e


# 1. 50 number and 50 operation nodes in one chain: op1 = n1 + n2, op_i = op_{i-1} <op> n_{i+1}.
nodes, edges = [], []
for i in range(1, 51):
    nodes.append({"id": f"n{i}", "data": {"value": (i % 7) + 1}})
ops = ["add", "multiply", "subtract", "divide"]
for i in range(1, 51):
    nodes.append({"id": f"op{i}", "data": {"op": ops[i % 4]}})
    if i == 1:
        edges += [edge("n1", "op1"), edge("n2", "op1")]
    else:
        edges += [edge(f"op{i - 1}", f"op{i}"), edge(f"n{i + 1 if i < 50 else 1}", f"op{i}")]
write("arithmetic-chain", nodes, edges)

# 2. A text input through 12 text operations: case changes, a concat, repeat x3, camelcase.
steps = [
    {"text_op": "uppercase"}, {"text_op": "lowercase"}, {"text_op": "titlecase"},
    {"text_op": "inversecase"}, {"text_op": "concat", "separator": " | "},
    {"text_op": "repeat", "repeat_n": 3}, {"text_op": "camelcase"}, {"text_op": "uppercase"},
    {"text_op": "lowercase"}, {"text_op": "titlecase"}, {"text_op": "inversecase"},
    {"text_op": "camelcase"},
]
nodes = [{"id": "text", "data": {"text": "The quick brown fox jumps over the lazy dog"}}]
edges = []
previous = "text"
for i, step in enumerate(steps, start=1):
    nodes.append({"id": f"t{i}", "data": step})
    edges.append(edge(previous, f"t{i}"))
    if step["text_op"] == "concat":
        edges.append(edge("text", f"t{i}"))
    previous = f"t{i}"
write("text-pipeline", nodes, edges)

# 3. 32 nodes: 2 conditions with && and ||, 2 switches, 4 sub-branches, a join; 18 are skipped
#    (the two branches the conditions do not take, six nodes each, and the switches' other cases).
nodes = [
    {"id": "amount", "data": {"value": 42}},
    {"id": "count", "data": {"value": 7}},
    {"id": "mid", "type": "condition", "data": {"condition": "input > 10 && input < 100"}},
    {"id": "edge", "type": "condition", "data": {"condition": "input < 5 || input > 50"}},
    {"id": "size", "data": {"cases": [
        {"when": "value > 40", "output_path": "large"},
        {"is_default": True, "output_path": "small"}]}},
    {"id": "band", "data": {"cases": [
        {"when": "value > 3", "output_path": "many"},
        {"is_default": True, "output_path": "few"}]}},
]
edges = [
    edge("amount", "mid"), edge("count", "edge"),
    edge("mid", "size", "true"), edge("edge", "band", "false"),
]
ends = []


def branch(prefix, length, start, handle):
    global nodes, edges
    previous, first = start, True
    for i in range(length):
        node_id = f"{prefix}{i}"
        nodes.append({"id": node_id, "data": {"expression": f"{i + 2} * 3 + pow(2, {i})"}})
        edges.append(edge(previous, node_id, handle if first else None))
        previous, first = node_id, False
    ends.append(previous)


branch("large", 3, "size", "large")
branch("small", 3, "size", "small")
branch("many", 3, "band", "many")
branch("few", 3, "band", "few")
branch("low", 6, "mid", "false")
branch("odd", 6, "edge", "true")
nodes.append({"id": "join", "type": "join", "data": {"join_strategy": "all"}})
edges += [edge(end, "join") for end in ends]
nodes.append({"id": "total", "data": {"expression": "sum(input.values)"}})
edges.append(edge("join", "total"))
assert len(nodes) == 32, len(nodes)
write("branching", nodes, edges)

# 4. range 1..9999 -> filter -> map -> sort desc -> slice 5000 -> unique -> reduce (sum), with the
#    field extractions between them that map, sort and the rest need.
nodes = [
    {"id": "range", "type": "range", "data": {"start": 1, "end": 9999}},
    {"id": "filter", "type": "filter", "data": {"condition": "item % 3 != 0"}},
    {"id": "filtered", "data": {"expression": "input.filtered"}},
    {"id": "map", "type": "map", "data": {"expression": "item * 2"}},
    {"id": "mapped", "data": {"expression": "input.results"}},
    {"id": "sort", "type": "sort", "data": {"order": "desc"}},
    {"id": "sorted", "data": {"expression": "input.sorted"}},
    {"id": "slice", "type": "slice", "data": {"start": 0, "length": 5000}},
    {"id": "sliced", "data": {"expression": "input.sliced"}},
    {"id": "unique", "type": "unique", "data": {}},
    {"id": "uniques", "data": {"expression": "input.unique"}},
    {"id": "reduce", "type": "reduce", "data": {"expression": "accumulator + item", "initial_value": 0}},
]
edges = [edge(nodes[i]["id"], nodes[i + 1]["id"]) for i in range(len(nodes) - 1)]
write("array-pipeline", nodes, edges)

# 5. 50 expression nodes: chained arithmetic with pow, sqrt, min, max, round, % and node
#    references, ternaries, string methods and array functions; every one evaluates to the same
#    value in both engines (the original reads some other forms differently, see
#    docs/engine-compatibility.md).
templates = [
    "pow(input, 2) % 97 + 1",
    "sqrt(input * 16) + round(input / 3)",
    "max(input, node.e0, 10)",
    "input > 50 ? input / 2 : input * 3",
    "round(input * 1.5) % 89 + node.e1",
    "node.title.includes('fox') ? input + 1 : input - 1",
    "sum(node.seed.range) % 101 + input % 7",
    "abs(input - 60) * 2",
    "min(input, 500) + node.title.length",
    "input % 2 == 0 ? round(sqrt(input)) : pow(2, 3) + input % 13",
]
nodes = [{"id": "seed", "type": "range", "data": {"start": 1, "end": 20}},
         {"id": "title", "data": {"text": "the quick brown fox"}},
         {"id": "start", "data": {"value": 17}}]
edges = []
previous = "start"
for i in range(50):
    nodes.append({"id": f"e{i}", "data": {"expression": templates[i % len(templates)]}})
    edges.append(edge(previous, f"e{i}"))
    previous = f"e{i}"
edges.append(edge("seed", "e0"))
edges.append(edge("title", "e0"))
write("expressions", nodes, edges)

# 6. 1,000 independent number -> operation (multiply) pairs, one join(all), sum(input.values).
nodes, edges = [], []
for i in range(1000):
    nodes.append({"id": f"v{i}", "data": {"value": i % 10 + 1}})
    nodes.append({"id": f"m{i}", "data": {"op": "multiply"}})
    edges += [edge(f"v{i}", f"m{i}"), edge(f"v{i}", f"m{i}")]
nodes.append({"id": "join", "type": "join", "data": {"join_strategy": "all"}})
edges += [edge(f"m{i}", "join") for i in range(1000)]
nodes.append({"id": "total", "data": {"expression": "sum(input.values)"}})
edges.append(edge("join", "total"))
write("wide", nodes, edges)
