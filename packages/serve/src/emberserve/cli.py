"""Command lines: ``emberserve start|stop`` (also ``python -m emberserve``) and ``emberserve-archive``.

::

    emberserve-archive --model-name mnist --factory mypkg.models:mnist_net --weights mnist.safetensors \\
        --input input__0:FP32:-1,1,28,28 --batch-size 16 --max-batch-delay 5 --export-path store/
    emberserve start --model-store store/ --models mnist=mnist.emar
    emberserve stop

``start`` serves in the foreground until SIGTERM or Ctrl-C and writes its process id to
``pid_file``; ``stop`` sends that process SIGTERM and waits for it to finish its requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from . import __version__, archive
from .config import load_config
from .schema import TensorSpec
from .server import Server

__all__ = ["main", "archive_main"]


def _server_flags(parser):
    """Flags named after the ServeConfig fields they set; unset flags stay None."""
    add = parser.add_argument
    add("--config", help="TOML config file (default: $EMBERSERVE_CONFIG)")
    add("--model-store", dest="model_store", help="directory archives are registered from")
    add("--models", nargs="*", help="archives to load: NAME=FILE.emar, FILE.emar or all")
    add("--host", help="address of the inference API (default 127.0.0.1)")
    add("--port", "--inference-port", dest="inference_port", type=int, help="default 8080")
    add("--management-host", dest="management_host")
    add("--management-port", dest="management_port", type=int, help="default 8081")
    add("--metrics-host", dest="metrics_host")
    add("--metrics-port", dest="metrics_port", type=int, help="default 8082")
    add(
        "--allow-archive-code",
        dest="allow_archive_code",
        action="store_true",
        default=None,
        help="run handler code shipped inside archives",
    )
    add("--allowed-urls", dest="allowed_urls", nargs="*", help="URL prefixes to register from")
    add("--workers", type=int, help="worker threads per model (default 1)")
    add("--device", help="cpu (default), cuda, cuda:N")
    add("--max-request-size", dest="max_request_size", type=int, help="bytes (default 100 MiB)")
    add("--response-timeout", dest="response_timeout", type=float, help="seconds (default 120)")
    add("--queue-size", dest="queue_size", type=int, help="waiting requests per model (100)")
    add("--graceful-timeout", dest="graceful_timeout", type=float, help="seconds (default 30)")
    add("--token-file", dest="token_file", help='JSON {"inference": ..., "management": ...}')
    add("--cors-allowed-origins", dest="cors_allowed_origins", nargs="*")
    add("--pid-file", dest="pid_file")
    add("--log-level", dest="log_level")
    add("--no-access-log", dest="access_log", action="store_false", default=None)


_NOT_CONFIG = {"command", "config", "timeout"}


def _config(args):
    flags = {k: v for k, v in vars(args).items() if k not in _NOT_CONFIG}
    return load_config(flags, args.config)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start(args):
    config = _config(args)
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    pid_file = Path(config.default_pid_file())
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        if pid and _alive(pid):
            print(f"emberserve is already running (pid {pid}, {pid_file})", file=sys.stderr)
            return 1
    server = Server(config)
    pid_file.write_text(f"{os.getpid()}\n")
    try:
        server.load_models()
        server.run()
    finally:
        pid_file.unlink(missing_ok=True)
    return 0


def _stop(args):
    config = _config(args)
    pid_file = Path(config.default_pid_file())
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        print(f"no emberserve is running (no pid file {pid_file})", file=sys.stderr)
        return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        print(f"no emberserve is running (stale pid file {pid_file})", file=sys.stderr)
        return 1
    timeout = args.timeout if args.timeout is not None else config.graceful_timeout + 10
    deadline = time.monotonic() + timeout
    # The server deletes its pid file on the way out; a zombie still answers os.kill(pid, 0).
    while pid_file.exists() and _alive(pid):
        if time.monotonic() > deadline:
            print(f"emberserve (pid {pid}) did not stop within {timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"emberserve (pid {pid}) stopped")
    return 0


def main(argv=None):
    """``emberserve start|stop``."""
    parser = argparse.ArgumentParser(prog="emberserve", description="Serve Ember models over HTTP.")
    parser.add_argument("--version", action="version", version=f"emberserve {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve models in the foreground")
    _server_flags(start)
    stop = commands.add_parser("stop", help="stop the server started with the same settings")
    stop.add_argument("--config")
    stop.add_argument("--port", "--inference-port", dest="inference_port", type=int)
    stop.add_argument("--pid-file", dest="pid_file")
    stop.add_argument(
        "--timeout", type=float, help="seconds to wait (default graceful_timeout + 10)"
    )
    args = parser.parse_args(argv)
    try:
        return _start(args) if args.command == "start" else _stop(args)
    except ValueError as exc:  # configuration errors
        print(f"emberserve: {exc}", file=sys.stderr)
        return 2


def _spec(text):
    """``NAME:DATATYPE:DIMS`` (dims comma-separated, -1 = any) as a TensorSpec."""
    try:
        name, datatype, dims = text.split(":")
        shape = [int(d) for d in dims.split(",") if d.strip()]
        return TensorSpec.from_dict({"name": name, "datatype": datatype, "shape": shape})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME:DATATYPE:DIMS ({exc})") from None


def archive_main(argv=None):
    """``emberserve-archive``: package a model into a ``.emar`` archive."""
    parser = argparse.ArgumentParser(
        prog="emberserve-archive", description="Package an Ember model into a .emar archive."
    )
    add = parser.add_argument
    add("--model-name", required=True, help="the name clients use")
    add("--version", default="1.0", help="model version (default 1.0)")
    add("--factory", required=True, help="package.module:callable returning the nn.Module")
    add("--kwargs", default="{}", help="JSON keyword arguments for the factory")
    add("--weights", "--serialized-file", dest="weights", help="safetensors state dict")
    add(
        "--handler",
        default="tensor",
        help="image_classifier, tensor, package.module:Class or file.py",
    )
    add("--handler-config", default="{}", help="JSON handler settings (resize, crop, topk, ...)")
    add("--input", action="append", type=_spec, help="NAME:DATATYPE:DIMS, repeatable")
    add(
        "--output",
        action="append",
        type=_spec,
        help="NAME:DATATYPE:DIMS (default: found by a dry run)",
    )
    add("--batch-size", type=int, default=1)
    add("--max-batch-delay", type=float, default=100, help="milliseconds")
    add("--labels", help="index_to_name.json")
    add("--extra-files", default="", help="comma-separated files to include")
    add("--export-path", default=".", help="directory to write NAME.emar into")
    add("-f", "--force", action="store_true", help="overwrite an existing archive")
    args = parser.parse_args(argv)
    target = Path(args.export_path, f"{args.model_name}.emar")
    if target.exists() and not args.force:
        print(f"emberserve-archive: {target} exists; use --force to overwrite", file=sys.stderr)
        return 1
    try:
        archive.create(
            target,
            name=args.model_name,
            version=args.version,
            factory=args.factory,
            kwargs=json.loads(args.kwargs),
            weights=args.weights,
            handler=args.handler,
            handler_config=json.loads(args.handler_config),
            inputs=args.input,
            outputs=args.output,
            batch_size=args.batch_size,
            max_batch_delay=args.max_batch_delay,
            labels=args.labels,
            extra_files=[f for f in args.extra_files.split(",") if f],
        )
    except (ValueError, OSError, archive.ArchiveError) as exc:
        print(f"emberserve-archive: {exc}", file=sys.stderr)
        return 1
    print(target)
    return 0
