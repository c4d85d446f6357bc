"""`dp100 studio`: MLflow's UI over the local workspace store, on 127.0.0.1 (logic in dp100lab.studio)."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("studio", help="open the MLflow UI on the local store (127.0.0.1)",
                                   description="Serve the MLflow UI over the local workspace's runs and models, "
                                   "bound to 127.0.0.1, opening the runs in the model-training view. "
                                   "Port: --port, else $DP100LAB_STUDIO_PORT, else 5000. In the foreground, "
                                   "Ctrl-C, `kill` or closing the terminal stops it.")
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--background", action="store_true", help="start it, print the URL and return")
    group.add_argument("--stop", action="store_true", help="stop a studio started with --background")
    group.add_argument("--status", action="store_true", help="print the URL if it is running")
    parser.set_defaults(func=run)


def run(args) -> int:
    from .. import studio

    try:
        if args.stop:
            print("Studio stopped." if studio.stop() else "No studio was running for this store.")
            return 0
        if args.status:
            url = studio.status()
            print(url or "No studio is running for this store. Start one with `dp100 studio`.")
            return 0 if url else 1
        if args.background:
            studio.start(port=args.port)
            print(f"Studio (MLflow UI): {studio.start_url(studio._store())}\n"
                  "It keeps running in the background; stop it with `dp100 studio --stop`.")
            return 0
        return studio.serve(port=args.port)
    except studio.StudioError as exc:
        print(f"dp100 studio: {exc}", file=sys.stderr)
        return 1
