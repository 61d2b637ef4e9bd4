"""The ``seatlib`` console command (``python -m seatlib.cli``).

``seatlib explain MODEL_DIR "a text"`` (or ``--file texts.txt``, one text a line): the model's
prediction with the dataset's label names, per-word attention and importance (gradient, LOO and
integrated gradients by default) as a heatmap (plain text when stdout is not a terminal), and
Kendall tau-b between attention and each method. ``--html out.html`` writes a self-contained
page, ``--json`` prints JSON for scripts. Errors are one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    from seatlib.explain import DEFAULT_METHODS

    parser = argparse.ArgumentParser(prog="seatlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("explain", help="explain texts with a trained word model",
                        description="Explain texts with a trained model of the pipeline.")
    ex.add_argument("model_dir", help="results/models/{dataset}/{model}/seed{seed}/")
    ex.add_argument("text", nargs="*", help="text(s) to explain")
    ex.add_argument("--file", type=Path, help="a file of texts, one a line (blank lines skipped)")
    ex.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                    help="comma-separated importance methods (default %(default)s)")
    ex.add_argument("--n-steps", type=int, default=50, help="integrated-gradient steps")
    ex.add_argument("--baseline", default="pad", help="reference of the captum methods")
    ex.add_argument("--vocab", type=Path,
                    help="vocab.txt (default: results/data/prepared/{dataset}/vocab.txt)")
    ex.add_argument("--html", type=Path, help="also write a self-contained HTML page here")
    ex.add_argument("--json", action="store_true", help="print JSON instead of the heatmap")
    ex.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    ex.add_argument("--layer", type=int, help="transformer models only")
    ex.add_argument("--head", type=int, help="transformer models only")
    ex.add_argument("--rollout", action="store_true", help="transformer models only")
    return parser


def _texts(args) -> list[str]:
    from seatlib.explain import ExplainError

    texts = list(args.text)
    if args.file is not None:
        try:
            lines = args.file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise ExplainError(f"{args.file}: cannot read the texts ({err})") from None
        texts += [line for line in lines if line.strip()]
        if not texts:
            raise ExplainError(f"{args.file}: no text in it (expected one text a line)")
    if not texts:
        raise ExplainError("no text to explain (give TEXT or --file with one text a line)")
    return texts


def explain(args) -> int:
    from seatlib import explain as ex
    from seatlib.io import write_text

    wm = ex.load_word_model(args.model_dir, args.vocab)
    for flag in ("layer", "head", "rollout"):
        if getattr(args, flag) not in (None, False):
            raise ex.ExplainError(f"--{flag}: {wm.path} is a word model ({wm.name}) with one "
                                  "attention distribution; layers, heads and rollout are "
                                  "transformer options")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    items = ex.explain_texts(wm, _texts(args), methods, n_steps=args.n_steps,
                             baseline=args.baseline)
    if args.html is not None:
        write_text(ex.render_html(wm, items), args.html)
    if args.json:
        print(ex.as_json(wm, items))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        print(ex.render_terminal(wm, items, color))
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from seatlib.explain import ExplainError

    try:
        if args.command == "explain":
            return explain(args)
    except ExplainError as err:
        print(f"seatlib {args.command}: {err}", file=sys.stderr)
        return 2
    except ValueError as err:  # the library's own one-line errors (options, baselines)
        print(f"seatlib {args.command}: {str(err).splitlines()[0]}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
