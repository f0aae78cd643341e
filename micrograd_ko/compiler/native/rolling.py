"""Stage 4a, last step: a translated function's repeated statements as loops, so that gcc builds it quickly.

The generated code is unrolled: a 64-32-10 network's step is some 10,000
statements, most of them one of a few shapes repeated (`a7 = a7 + g3 * x7`
for every weight of a neuron, a neuron's dot product, bias and activation for
every neuron of a layer). gcc -O0 spends its time per statement: that step
took 1.7 s to build. Here

1. every numbered number of the function (`p7`, `a7`, `v12`, `mk_k3`) becomes
   an element of an array of its family (`mk_n_p[7]`), so that statements
   that differ only in which numbers they use differ only in indices;
2. a run of terms written into the scratch array (`mk_scratch[0] = p7 * x0;
   mk_scratch[1] = p8 * x1; ...`) of one shape becomes a loop (`mk_term`);
3. a block of statements repeated three times or more with the same shapes
   (`mk_row`) becomes a loop over its repetitions,

where each index that changes is `start + step * counter` or, if it does
not move in steps, read from a table of constants. The loops run the same
statements, with the same numbers, in the same order as the lines they
replace: nothing is computed otherwise, so the C code still computes what the
generated Python computes. (The same step now builds in 0.2 s.)
"""

from __future__ import annotations

import re

# A numbered number: a family of letters (or the translator's temporaries, mk_k) and an index.
_NUMBERED = re.compile(r"\b(mk_k|[a-z]+)(\d+)\b")
# An element of an array whose index may move from one repetition to the next: `[start]` or `[start + ...]`.
_ELEMENT = re.compile(r"\b(mk_n_\w+|mk_pd|mk_pg|mk_xd|mk_wv)\[(-?\d+)((?: \+ [^\]\[]*)?)\]")
# A term written into the scratch array, with no statement or block of its own inside.
_TERM = re.compile(r"mk_scratch\[(\d+)\] = ([^;{}]*);")
_LEAST = 3  # repetitions worth a loop
_LONGEST_BLOCK = 12  # statements in a repeated block


def family_arrays(scalars):
    """{numbered scalar: its element}, and the arrays' sizes ({array: size}), for the numbers a function keeps."""
    elements, sizes = {}, {}
    for name in scalars:
        numbered = _NUMBERED.fullmatch(name)
        if numbered:
            family, index = numbered.group(1), int(numbered.group(2))
            array = f"mk_n_{family}"
            elements[name] = f"{array}[{index}]"
            sizes[array] = max(sizes.get(array, 0), index + 1)
    return elements, sizes


def rolled(lines, elements, statics):
    """The lines with every numbered scalar an element of its array, and repetitions as loops (their tables of
    indices appended to `statics`)."""
    renamed = [
        _roll_terms(_NUMBERED.sub(lambda m: elements.get(m.group(0), m.group(0)), line), statics) for line in lines
    ]
    return _roll_blocks(renamed, statics)


def _shape(text):
    """`text` with every movable index taken out: (shape, [the indices])."""
    indices = []

    def take(match):
        indices.append(int(match.group(2)))
        return f"{match.group(1)}[#{match.group(3)}]"

    return _ELEMENT.sub(take, text), indices


def _filled(shape, indices):
    taken = iter(indices)
    return re.sub(r"\[#", lambda _: "[" + next(taken), shape)


def _indices(columns, counter, statics):
    """C for each column of indices (one index per repetition) in terms of the loop's `counter`."""
    exprs, tabled = [], []
    table = f"mk_rows{len(statics)}"
    for column in columns:
        step = column[1] - column[0]
        if all(column[i] == column[0] + step * i for i in range(len(column))):
            exprs.append(f"{column[0]}" if step == 0 else f"{column[0]} + {step} * {counter}")
        else:
            exprs.append(f"{table}[{counter}][{len(tabled)}]")
            tabled.append(column)
    if tabled:
        rows = ", ".join("{" + ", ".join(str(c[i]) for c in tabled) + "}" for i in range(len(columns[0])))
        statics.append(f"static const int {table}[{len(columns[0])}][{len(tabled)}] = {{{rows}}};")
    return exprs


def _roll_terms(line, statics):
    """Runs of terms of one shape written into the scratch array, within one line, as loops."""
    terms = list(_TERM.finditer(line))
    pieces, done, i = [], 0, 0
    while i < len(terms):
        shape, _ = _shape(terms[i].group(2))
        j = i
        while (
            j + 1 < len(terms)
            and terms[j + 1].start() == terms[j].end() + 1
            and int(terms[j + 1].group(1)) == int(terms[j].group(1)) + 1
            and _shape(terms[j + 1].group(2))[0] == shape
        ):
            j += 1
        if j - i + 1 >= _LEAST and "[#" in shape:
            columns = list(zip(*(_shape(terms[k].group(2))[1] for k in range(i, j + 1))))
            exprs = _indices(columns, "mk_term", statics)
            pieces.append(line[done : terms[i].start()])
            pieces.append(
                f"for (int mk_term = 0; mk_term < {j - i + 1}; mk_term++) "
                f"mk_scratch[{terms[i].group(1)} + mk_term] = {_filled(shape, exprs)};"
            )
            done = terms[j].end()
        i = j + 1
    return "".join(pieces) + line[done:]


def _repeatable(line):
    """Whether a line is one whole statement that may be a loop's body: an assignment or an `if` of one line,
    no declaration, label, `case`, `break` or loop of the translator's own (whose counter it would shadow)."""
    body = line.strip()
    if not body.endswith(";") or body.startswith(("double ", "int ", "Py", "case ", "default", "switch", "result")):
        return False
    if "break" in body or "continue" in body or "for (" in body.replace("for (int mk_term = 0;", ""):
        return False
    depth = 0
    for character in body:
        depth += (character == "{") - (character == "}")
        if depth < 0:
            return False
    return depth == 0 and ":" not in body.split("(")[0]


def _roll_blocks(lines, statics):
    shapes = [_shape(line) if _repeatable(line) else (None, None) for line in lines]
    out, k = [], 0
    while k < len(lines):
        best = None  # (repetitions, block length) covering the most lines
        for length in range(1, _LONGEST_BLOCK + 1):
            block = [shape for shape, _ in shapes[k : k + length]]
            if len(block) < length or None in block:
                break
            times = 1
            while [shape for shape, _ in shapes[k + times * length : k + (times + 1) * length]] == block:
                times += 1
            if times >= _LEAST and (best is None or times * length > best[0] * best[1]):
                best = (times, length)
        if best is None:
            out.append(lines[k])
            k += 1
            continue
        times, length = best
        body = []
        for q in range(length):
            columns = list(zip(*(shapes[k + t * length + q][1] for t in range(times))))
            exprs = _indices(columns, "mk_row", statics) if columns else []
            body.append(_filled(shapes[k + q][0].strip(), exprs))
        indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
        out.append(f"{indent}for (int mk_row = 0; mk_row < {times}; mk_row++) {{ {' '.join(body)} }}")
        k += times * length
    return out
