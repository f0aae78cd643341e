"""Stage 4a, last step: a translated function's repeated statements as loops, so that gcc builds it quickly.

The generated code is unrolled: a 64-32-10 network's step is some 10,000
statements, most of them one of a few shapes repeated (`a7 = a7 + g3 * x7`
for every weight of a neuron, a neuron's dot product, bias and activation for
every neuron of a layer). gcc -O0 spends its time per statement: that step
took 1.7 s to build. Here

1. every numbered number of the function (`p7`, `a7`, `v12`, `mk_k3`) is an
   element of an array of its family (`mk_n_p[7]`), so that statements that
   differ only in which numbers they use differ only in indices;
2. terms of one shape written into the scratch array (`mk_scratch[0] = p7 *
   x0; mk_scratch[1] = p8 * x1; ...`) are written by a loop (`mk_term`,
   `scratch_writes`);
3. a block of statements repeated three times or more with the same shapes
   is a loop over its repetitions (`mk_row`, `rolled`),

where each index that changes is `start + step * counter` or, if it does
not move in steps, read from a table of constants. The loops run the same
statements, with the same numbers, in the same order as the lines they
replace: nothing is computed otherwise, so the C code still computes what the
generated Python computes. (The same step now builds in 0.2 s.)
"""

from __future__ import annotations

import re

# A numbered number (a family of letters, or the translator's temporaries mk_k, and an index), or an element of
# an array whose index may move from one repetition to the next: `[start]` or `[start + ...]`.
_TOKEN = re.compile(r"\b(?:(mk_k|[a-z]+)(\d+)\b|(mk_n_\w+|mk_pd|mk_pg|mk_xd|mk_wv)\[(-?\d+)((?: \+ [^\]\[]*)?)\])")
_LEAST = 3  # repetitions worth a loop
_LONGEST_BLOCK = 12  # statements in a repeated block


def family_arrays(scalars):
    """{numbered scalar: its element}, and the arrays' sizes ({array: size}), for the numbers a function keeps."""
    elements, sizes = {}, {}
    for name in scalars:
        numbered = _TOKEN.fullmatch(name)
        if numbered and numbered.group(1):
            family, index = numbered.group(1), int(numbered.group(2))
            array = f"mk_n_{family}"
            elements[name] = f"{array}[{index}]"
            sizes[array] = max(sizes.get(array, 0), index + 1)
    return elements, sizes


def _shaped(text, is_scalar):
    """(`text` with the numbered scalars as elements, its shape: that text with every movable index taken out,
    [the indices taken out])."""
    renamed, shape, indices, done = [], [], [], 0
    for match in _TOKEN.finditer(text):
        family, number, array, start, rest = match.groups()
        if family is not None:
            if not is_scalar(match.group(0)):
                continue
            array, start, rest = f"mk_n_{family}", number, ""
        piece = text[done : match.start()]
        renamed += [piece, f"{array}[{start}{rest}]"]
        shape += [piece, f"{array}[#{rest}]"]
        indices.append(int(start))
        done = match.end()
    renamed.append(text[done:])
    shape.append(text[done:])
    return "".join(renamed), "".join(shape), indices


def _filled(shape, exprs):
    pieces = shape.split("[#")
    return pieces[0] + "".join(f"[{e}{piece}" for e, piece in zip(exprs, pieces[1:]))


def _indices(columns, counter, statics):
    """C for each column of indices (one index per repetition) in terms of the loop's `counter`."""
    exprs, tabled = [], []
    for column in columns:
        step = column[1] - column[0]
        if all(column[i] == column[0] + step * i for i in range(len(column))):
            exprs.append(f"{column[0]}" if step == 0 else f"{column[0]} + {step} * {counter}")
        else:
            exprs.append(len(tabled))  # (the table's column: named below)
            tabled.append(column)
    if tabled:
        rows = ", ".join("{" + ", ".join(str(c[i]) for c in tabled) + "}" for i in range(len(columns[0])))
        table = _table(f"[{len(columns[0])}][{len(tabled)}] = {{{rows}}};", statics)
        exprs = [f"{table}[{counter}][{e}]" if type(e) is int else e for e in exprs]
    return exprs


def _table(definition, statics):
    """The name of a table of indices of this size and these rows: one in `statics` already (a block repeated in
    every sample of a batch reads the same indices: W2's step had 102 tables, 4 of them different), or a new one."""
    for line in statics:
        if line.startswith("static const int mk_rows") and line.endswith(definition):
            return line.split()[3].split("[")[0]
    table = f"mk_rows{len(statics)}"
    statics.append(f"static const int {table}{definition}")
    return table


def scratch_writes(items, is_scalar, statics):
    """C that writes the C expressions `items` into `mk_scratch[0..]`, left to right: runs of one shape by a loop.

    `is_scalar(name)`: whether a numbered name is one of the function's numbers (an element of its family's
    array at the end); the others are kept as they are."""
    shaped = [_shaped(item, is_scalar) for item in items]
    writes, i = [], 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and shaped[j + 1][1] == shaped[i][1]:
            j += 1
        if j - i + 1 >= _LEAST and shaped[i][2]:
            columns = list(zip(*(shaped[k][2] for k in range(i, j + 1))))
            body = _filled(shaped[i][1], _indices(columns, "mk_term", statics))
            writes.append(
                f"for (int mk_term = 0; mk_term < {j - i + 1}; mk_term++) mk_scratch[{i} + mk_term] = {body};"
            )
        else:
            writes += [f"mk_scratch[{k}] = {item};" for k, item in enumerate(items[i : j + 1], i)]
        i = j + 1
    return " ".join(writes)


def rolled(lines, elements, statics):
    """The lines with every numbered scalar an element of its array, and repeated blocks as loops (their tables
    of indices appended to `statics`)."""
    shaped = [_shaped(line, elements.__contains__) for line in lines]
    repeatable = [_repeatable(line) for line in lines]
    out, k = [], 0
    while k < len(lines):
        best = None  # (repetitions, block length) covering the most lines
        for length in range(1, _LONGEST_BLOCK + 1):
            if k + length > len(lines) or not repeatable[k + length - 1]:
                break
            block = [s[1] for s in shaped[k : k + length]]
            times = 1
            while k + (times + 1) * length <= len(lines) and all(
                repeatable[k + times * length + q] and shaped[k + times * length + q][1] == block[q]
                for q in range(length)
            ):
                times += 1
            if times >= _LEAST and (best is None or times * length > best[0] * best[1]):
                best = (times, length)
        if best is None:
            out.append(shaped[k][0])
            k += 1
            continue
        times, length = best
        body = []
        for q in range(length):
            columns = list(zip(*(shaped[k + t * length + q][2] for t in range(times))))
            exprs = _indices(columns, "mk_row", statics) if columns else []
            body.append(_filled(shaped[k + q][1].strip(), exprs))
        indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
        out.append(f"{indent}for (int mk_row = 0; mk_row < {times}; mk_row++) {{ {' '.join(body)} }}")
        k += times * length
    return out


def _repeatable(line):
    """Whether a line is one whole statement that may be a loop's body: an assignment or an `if` of one line,
    no declaration, label, `case`, `break` or loop of the translator's own (whose counter it would shadow)."""
    body = line.strip()
    if not body.endswith(";") or body.startswith(
        ("double ", "int ", "Py", "case ", "default", "switch", "result", "}")
    ):
        return False
    if "break" in body or "continue" in body or "for (" in body.replace("for (int mk_term = 0;", ""):
        return False
    return body.count("{") == body.count("}") and ":" not in body.split("(")[0]
