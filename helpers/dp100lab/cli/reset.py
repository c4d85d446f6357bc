"""`dp100 reset`: delete the local workspace store (assets, jobs, runs, models), after asking."""

from __future__ import annotations

import shutil
import sys

from ..workspace.core.health import REGISTRY_DB as MARKER  # only a folder holding a store registry is deleted


def register(subparsers) -> None:
    parser = subparsers.add_parser("reset", help="wipe the local workspace store (asks first)",
                                   description="Delete everything in the local store ($DP100LAB_HOME, default "
                                   "~/.dp100lab): registered assets, jobs and their outputs, MLflow runs and "
                                   "models. Refuses while a kernel, job or studio is using it.")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..workspace.core.store import Store, default_root

    root = default_root()
    if not root.exists():
        print(f"Nothing to reset: there is no store at {root}.")
        return 0
    if not (root / MARKER).exists():
        if any(root.iterdir()):
            print(f"{root} does not look like a dp100lab store (no {MARKER}); not deleting anything. "
                  "Check DP100LAB_HOME.", file=sys.stderr)
            return 1
        print(f"Nothing to reset: {root} is empty.")
        return 0
    users = Store(root).in_use()
    if users:
        print(f"The store {root} is in use, so it was not reset:", file=sys.stderr)
        for user in users:
            print(f"  {user}", file=sys.stderr)
        print("Stop those first (finish or cancel jobs, shut down notebook kernels, `dp100 studio --stop`), "
              "then run `dp100 reset` again.", file=sys.stderr)
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            print("dp100 reset needs confirmation: run it in a terminal, or pass --yes.", file=sys.stderr)
            return 1
        answer = input(f"Delete everything in {root} (assets, jobs, runs, models)? Type 'yes' to confirm: ")
        if answer.strip().lower() != "yes":
            print("Not reset.")
            return 1
    from ..workspace.core import servers

    stopped = servers.stop_all(Store(root))  # endpoint servers, router, scheduler: they live with the store
    if stopped:
        print(f"Stopped {len(stopped)} local server(s): {', '.join(stopped)}.")
    shutil.rmtree(root)
    print(f"Reset: {root} deleted. connect() creates a fresh store next time.")
    return 0
