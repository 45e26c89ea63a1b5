"""Imports go one way: MIDI/audio -> converters -> tensors -> models -> latent operations -> API
-> jam and CLI. Every `import` in the package (function-level ones too) is checked against the
layers below, so a shortcut upwards fails here, not in a review."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "latentjam"

# layer of each top-level module or subpackage; a module may import its own layer and below
LAYERS = {
    "errors": 0,
    "atomic": 0,
    "splits": 0,
    "music": 1,
    "midi": 1,
    "convert": 2,
    "plots": 2,
    "datasets": 3,
    "corpora": 3,
    "analysis": 3,
    "regularizers": 4,
    "training": 4,
    "models": 4,
    "presets": 5,
    "evaluation": 5,
    "latent": 5,
    "channel": 5,
    "pretrained": 5,
    "audio": 5,
    "export": 5,
    "api": 6,
    "jam": 7,
    "commands": 7,
    "cli": 8,
    "__main__": 9,
    "__init__": 9,
}
MUSIC_SIDE = {"music", "midi", "convert", "plots", "datasets", "corpora", "analysis"}
KNOWS_NO_MUSIC = {"models", "regularizers", "training"}  # plain nn.Modules and training


def _unit(path: Path) -> str:
    """The top-level module or subpackage a source file belongs to."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _targets(node: ast.AST) -> list[str]:
    """The latentjam units an import statement reaches."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "latentjam":  # from latentjam import latent, convert, ...
            return [a.name for a in node.names if a.name in LAYERS]
        names = [node.module]
    else:
        return []
    return [n.split(".")[1] for n in names if n.startswith("latentjam.")]


def _edges() -> list[tuple[str, str, str]]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node):
                if target != unit:
                    edges.append((unit, target, f"{path.relative_to(PACKAGE)}:{node.lineno}"))
    return edges


def test_every_module_has_a_layer():
    units = {_unit(p) for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), sorted(units - set(LAYERS))


def test_imports_point_down_the_data_flow():
    upward = [
        f"{where}: {unit} (layer {LAYERS[unit]}) imports {target} (layer {LAYERS[target]})"
        for unit, target, where in _edges()
        if LAYERS[target] > LAYERS[unit]
    ]
    assert not upward, "\n".join(upward)


def test_models_and_training_know_nothing_about_music():
    found = [
        f"{where}: {unit} imports {target}"
        for unit, target, where in _edges()
        if unit in KNOWS_NO_MUSIC and target in MUSIC_SIDE | {"audio"}
    ]
    assert not found, "\n".join(found)


def test_the_checker_sees_function_level_imports(tmp_path):
    tree = ast.parse("def f():\n    from latentjam.jam import server\n    import latentjam.api\n")
    assert sorted(t for n in ast.walk(tree) for t in _targets(n)) == ["api", "jam"]
