"""The `micrograd-ko` command (also `python -m micrograd_ko`): the command line read, dispatched, its errors reported.

    micrograd-ko demo                      experiments 1-4, a summary table, an HTML report
    micrograd-ko graph "tanh(x*w + b)" x=1.0 w=-2 b=0.5 -o graph.svg
    micrograd-ko graph "-x*w" x=1 w=2      (an expression may start with '-')
    micrograd-ko experiment NAME           one experiment at full size

Help and messages are Korean; `--lang en` switches to English. Every error
is one line on stderr and a non-zero exit code (2 for a usage mistake, 1 for
a failure), never a traceback; MICROGRAD_KO_DEBUG=1 shows the traceback of a failure.
The grammar (commands, options, help) is in `cli_parser`, argparse's words in Korean in
`cli_messages`, what each command does in `cli_commands`, its output places in `cli_paths`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence

from . import i18n
from .cli_commands import format_summary
from .cli_messages import CommandFailure, UsageError, argparse_language
from .cli_parser import PROG, ReadError, build_parser, language_of
from .files import os_error_reason
from .i18n import bilingual, tr

__all__ = ["main", "build_parser", "format_summary"]


def parse(words: Sequence[str], lang: str) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser (help in `lang`) and what it read from `words`, or a UsageError in Korean and English.

    A line argparse cannot read is read once more in the other language, for
    the other half of the message (argparse words one language at a time); that
    parser is built in the other language too, so each half names the argument as
    its own help does ('식' in Korean, 'EXPRESSION' in English).
    """
    messages = {}
    for language in (lang, "en" if lang == "ko" else "ko"):
        with argparse_language(language):
            parser = build_parser(language)
            try:
                return parser, parser.parse_args(words)
            except (ReadError, argparse.ArgumentError) as error:
                messages[language] = str(error)  # argparse words 'argument X: ...' through its (patched) gettext
    raise UsageError(bilingual(messages["ko"], messages["en"]) + f" ({PROG} --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 usage error, 1 failure, 130 interrupted)."""
    # '--' is never needed (a graph expression may start with '-' as it is); dropped, so options may follow it
    words = [word for word in (sys.argv[1:] if argv is None else argv) if word != "--"]
    lang = language_of(words)
    error_prefix = f"{PROG}: {tr('오류', 'error', lang)}:"
    try:
        parser, args = parse(words, lang)
        if args.command is None:
            with argparse_language(lang):
                parser.print_help()
            code = 0
        else:
            with i18n.language(args.lang):
                code = args.run(args)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not in Python's own flush at exit
        return code
    except UsageError as error:
        print(f"{error_prefix} {error}", file=sys.stderr)
        return 2
    except CommandFailure as error:
        print(f"{error_prefix} {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: {tr('중단했습니다', 'interrupted', lang)}", file=sys.stderr)
        return 130
    except OSError as error:
        if os.environ.get("MICROGRAD_KO_DEBUG"):
            raise
        print(f"{error_prefix} {_os_error_message(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # one clear line, not a traceback; MICROGRAD_KO_DEBUG=1 shows it
        if os.environ.get("MICROGRAD_KO_DEBUG"):
            raise
        first_line = (str(error).strip().splitlines() or [""])[0]
        print(f"{error_prefix} {type(error).__name__}: {first_line}", file=sys.stderr)
        return 1


def _os_error_message(error: OSError) -> str:
    """One line for an OSError: the library's own (already in both languages), a file's, or standard output's."""
    if error.errno is None:  # raised by `files.write_file` with its message naming the file
        return str(error)
    ko, en = os_error_reason(error)
    if error.filename is not None:
        return bilingual(f"{error.filename}: {ko}", f"{error.filename}: {en}")
    if error.errno in (errno.EPIPE, errno.ENOSPC, errno.EDQUOT):  # writing what the command prints
        _drop_stdout()
        return bilingual(f"출력을 쓸 수 없습니다 ({ko})", f"cannot write the output ({en})")
    return bilingual(ko, en)


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit does not fail a second time."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (e.g. captured by a test): nothing to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
