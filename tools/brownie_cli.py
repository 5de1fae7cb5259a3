"""Brownie's command line (`bin/brownie`), with `brownie run` made to work from any folder.

eth-brownie 1.22 imports the script of `brownie run` by a module name made of every folder of its
absolute path, with "/" put first on sys.path (`_import_from_path` in brownie/project/scripts.py):
/home/me/.cache/cts/scripts/deploy.py is imported as `home.me..cache.cts.scripts.deploy`. A folder
with a dot in its name (".cache", "cts-1.2") cuts that name apart ("No module named 'home.me.'"), and
a first folder named like a module already imported (/code, /test) is taken for that module ("'code'
is not a package"). Brownie is compiled (mypyc), so its functions cannot be replaced from Python; but
`importlib.import_module` returns whatever sys.modules holds under the name it is asked for. So,
before Brownie starts, the script is put into sys.modules under the name Brownie will ask for, as a
module named `scripts.deploy` that is not run yet: it runs when Brownie first asks it for something
(the function to call), inside Brownie's `run`, once the project and the network are loaded, exactly
when Brownie's own import would have run it. Until then it answers only its `__file__`, `__spec__` and
other dunders, so that tools walking sys.modules (inspect.getmodule, when Brownie launches a local
chain) do not run it early.

Brownie also compares an absolute script path with the project's resolved path as text, so in a
checkout reached through a symlink `brownie run $PWD/scripts/deploy.py` was "not part of an active
project": that argument is resolved first. A deployment record of Brownie's left cut short by a killed run
is removed first (``discard_broken_deployments``). Everything else is Brownie's own `main`. See
docs/toolchain.md, "Any folder".
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

# Python put this file's folder first on sys.path; Brownie and the tests have no use for it.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

from brownie._cli.__main__ import main
from brownie._config import _load_project_structure_config
from brownie.project.main import check_for_project

# `brownie run` options that take a value (brownie/_cli/run.py); every other option is a flag.
RUN_OPTIONS_WITH_VALUE = {"--network"}


def script_argument(argv: list[str]) -> int | None:
    """The index in argv of `<filename>` of `brownie run <filename> [<function>] [<arg>...] [options]`."""
    if len(argv) < 3 or argv[1] != "run":
        return None
    index = 2
    while index < len(argv):
        if argv[index] in RUN_OPTIONS_WITH_VALUE:
            index += 2
        elif argv[index].startswith("-"):
            index += 1
        else:
            return index
    return None


def script_path(argument: str) -> Path | None:
    """The file Brownie will run for `argument`, found as brownie.project.scripts._get_path finds it."""
    path = Path(argument).with_suffix(".py")
    if not path.is_absolute():
        root = check_for_project(".")
        if root is not None:
            scripts = _load_project_structure_config(root)["scripts"]
            path = root / path if path.parts[:1] == (scripts,) else root / scripts / path
    return path.resolve() if path.is_file() else None


def module_name(path: Path) -> str:
    """`scripts.deploy` for <project>/scripts/deploy.py; a plain name for a script elsewhere."""
    root = check_for_project(path.parent)
    if root is not None:
        parts = path.with_suffix("").relative_to(root).parts
        if all(part.isidentifier() for part in parts):
            return ".".join(parts)
    return "brownie_script_" + re.sub(r"\W", "_", path.stem)


def prepare_run(argv: list[str]) -> None:
    index = script_argument(argv)
    if index is None:
        return
    if Path(argv[index]).is_absolute():
        argv[index] = str(Path(argv[index]).resolve())
    path = script_path(argv[index])
    if path is None:
        return  # Brownie says it cannot find it
    brownie_name = f"{'.'.join(path.parts[1:-1])}.{path.stem}"  # as brownie.project.scripts names it
    module = unexecuted_module(module_name(path), path)
    sys.modules[module.__name__] = module
    sys.modules[brownie_name] = module


def unexecuted_module(name: str, path: Path) -> ModuleType:
    """The script at `path` as a module that runs on the first look-up of a name that is not a dunder."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)  # __name__, __file__, __spec__, __loader__ set

    def run_on_first_use(attribute: str) -> object:
        if attribute.startswith("__"):
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        del module.__dict__["__getattr__"]
        try:
            loader.exec_module(module)
        except AttributeError as error:  # would read as "no such function" to Brownie's getattr
            raise ImportError(f"{path} failed while loading: {error!r}") from error
        return getattr(module, attribute)

    module.__dict__["__getattr__"] = run_on_first_use
    return module


def discard_broken_deployments(root: Path) -> None:
    """Remove the deployment records under build/deployments that are not whole JSON.

    Brownie rewrites build/deployments/map.json (and writes one file per contract) in place each time it
    records a contract on a live network; a deployment killed at that moment (a crash, a power cut, ^C)
    leaves the file cut short, and every later `brownie run` then stops with "JSONDecodeError: Expected
    object or value" before our script starts. They are Brownie's own cache: scripts/deploy.py keeps its
    record in the project's manifest (deployments/<chain>.json, written atomically) and resumes from that.
    """
    for path in sorted((root / "build" / "deployments").rglob("*.json")):
        try:
            json.loads(path.read_text())
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            print(
                f"brownie: removed {path.relative_to(root)}: cut short by an interrupted run", file=sys.stderr
            )


if __name__ == "__main__":
    project_root = check_for_project(".")
    if project_root is not None:
        discard_broken_deployments(Path(project_root))
    prepare_run(sys.argv)
    sys.exit(main())
