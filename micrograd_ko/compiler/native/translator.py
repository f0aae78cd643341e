"""Stage 4a: the text of a generated function, as C (see the package docstring for why it is exact).

`c_text(source, namespace)` reads the generated Python function with `ast`
and writes each line as the same float operations in C, or gives up
(`None`) at the first line outside the forms the generator writes. The C
function is put after `runtime.h` (the helpers it calls, and the macros) in
one module, which build.py links with runtime.c's helpers.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re

from ... import engine, losses
from . import build, rolling

# Past this many characters of generated Python a build costs more than most runs could win back: gcc took
# 40 s and 1.2 GB to build the 6 MB of C of one SGD step over a batch of ten digits through a 64-32-32-32-10
# network (2.3 MB of Python; a long run now trains such batches sample by sample). W2, karpathy's moons step
# over 100 points with a node per neuron, is 1.9 MB of Python and 0.5 MB of C with rolling.py's loops (3.3 MB
# unrolled): 1.6 s and 160 MB of gcc (7.0 s and 740 MB unrolled).
_LARGEST_SOURCE = 2_000_000
_LARGEST_FRAME = 256 * 1024  # bytes of numbers a thread's stack surely holds: more are kept in memory taken per call
_LIMIT = 1e300  # numbers below this in size cannot make a check's sum overflow (fewer than 1e8 of them)


class _Untranslatable(Exception):
    """A line outside the forms this translator knows: the program stays Python."""


def _hex(x):
    """A C literal for the float x, exact (hexadecimal)."""
    if not math.isfinite(x):
        raise _Untranslatable("non-finite literal")
    return float.hex(float(x))


def _is_int(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


class _Translator:
    """The C text of one generated function (a variant), or `_Untranslatable`."""

    def __init__(self, source, namespace):
        self.namespace = namespace
        self.doubles = {}  # C double locals (an ordered set)
        self.arrays = {}  # name -> size: the slopes a replay or a two-input rule returns
        self.objects = []  # namespace names handed to the C function (callables), in order
        self.lines = []
        self.pending = []  # the variables of the check being summed (`_s = _sum(...)`)
        # A call handed over after a write runs the Python function from the start: it must not read what the C
        # code wrote (it would add onto a gradient already added to). What is written so far, what is written
        # before a place that may hand over, and what is read ("data", "grad"):
        self.written, self.written_before_hand_over, self.read = set(), set(), set()
        self.temp = 0
        self.temporaries = {}  # mk_k names -> None (a number) or an array's size
        self.inputs = 0
        self.ordered = True  # the line being translated holds a `:=`: its parts are evaluated in Python's order
        # (the generator writes every statement on a line of its own, a loop's body on the lines below it)
        self.walrus_lines = {n for n, line in enumerate(source.splitlines(), 1) if ":=" in line}
        if "mk_" in source:  # (the C side's own names all start so: the generated code's must not)
            raise _Untranslatable("a name of the C side's")
        self.highest = -1  # the largest k of the P[k] read or written
        # Parameters' `.grad` read before the loop and before any write: all read in one pass at the start, into
        # `mk_pg`, in the order the function reads them (the code between is the generator's arithmetic and
        # micrograd_ko's own rules, which touch no parameter). Consecutive writes of one attribute are made by
        # one call too (`mk_set_many`), in their order. Per-parameter reads and writes as a statement each, with
        # a branch each, took gcc most of a large program's build (digits 64-32-10: 3.7 s of C against 1.4 s).
        self.grad_reads = {}  # k -> None, in the order read
        self.depth = 1  # of the statement being translated (a loop's body is deeper)
        self.writes = []  # the write group being collected: (k, attribute, C of the number)
        self.statics = []  # C of the index tables of the one-pass reads and writes
        self.widest_write = 0
        self.scratch = 0  # the most numbers a sum or a check writes into the scratch array `_t`
        tree = ast.parse(source)
        (self.function,) = tree.body
        if not isinstance(self.function, ast.FunctionDef):
            raise _Untranslatable("not a function")
        self.params = [a.arg for a in self.function.args.args]
        if self.params[:3] not in (["X", "P", "output_grad"], ["XS", "P", "output_grad"]) or self.params[3:] not in (
            [],
            ["lr"],
        ):
            raise _Untranslatable("signature")
        self.loop = self.params[0] == "XS"

    # -- expressions ------------------------------------------------------------------------------------------
    def fresh(self, size=None):
        """A new name for a number (or an array of `size`) that one expression or statement keeps for a moment."""
        self.temp += 1
        name = f"mk_k{self.temp}"
        self.temporaries[name] = size
        return name

    def var(self, name):
        if name in ("output_grad", "lr") or name in self.doubles:
            return name
        value = self.namespace.get(name) if name.startswith("_") else None
        if type(value) is float:  # a guard's number: handed in with the call (another program may hold another)
            if name not in self.objects:
                self.objects.append(name)
            return f"mk_K{self.objects.index(name)}"
        raise _Untranslatable(f"name {name}")

    def expr(self, node, beside_float=False):
        """C for a float-valued expression (a double).

        An int constant is taken only `beside_float`: one side of an operation whose other side is a float,
        which Python turns it into, exactly (up to 2**53). Alone it stays an int (`return 2 - 2` returns 0,
        `-0 * x` is +0.0 where C's -0.0 * x is -0.0)."""
        if isinstance(node, ast.Constant):
            if type(node.value) is float or beside_float and type(node.value) is int and abs(node.value) <= 2**53:
                return _hex(float(node.value))
            raise _Untranslatable("constant")
        if isinstance(node, ast.Name):
            return self.var(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{self.expr(node.operand)})"
        if isinstance(node, ast.BinOp):
            left = self.expr(node.left, beside_float=not _is_int(node.right))
            right = self.expr(node.right, beside_float=not _is_int(node.left))
            if isinstance(node.op, ast.Div):
                return f"MK_DIV({self.fresh()}, {self.fresh()}, {left}, {right})"
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}.get(type(node.op))
            if symbol is None:
                raise _Untranslatable("operator")
            if not (self.ordered and _order_matters(node.left, node.right)):  # (C evaluates in either order)
                return f"({left} {symbol} {right})"
            a, b = self.fresh(), self.fresh()  # left before right, as Python evaluates
            return f"({{ {a} = {left}; {b} = {right}; {a} {symbol} {b}; }})"
        if isinstance(node, ast.IfExp):
            return f"(({self.test(node.test)}) ? ({self.expr(node.body)}) : ({self.expr(node.orelse)}))"
        if isinstance(node, ast.NamedExpr):
            self.doubles[node.target.id] = None
            return f"({node.target.id} = {self.expr(node.value)})"
        if isinstance(node, ast.Subscript):
            if not (isinstance(node.value, ast.Name) and node.value.id in self.arrays):
                raise _Untranslatable("subscript")
            index = node.slice
            if not (isinstance(index, ast.Constant) and type(index.value) is int):
                raise _Untranslatable("index")
            if not 0 <= index.value < self.arrays[node.value.id]:
                raise _Untranslatable("index range")
            return f"{node.value.id}[{index.value}]"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        if isinstance(node, ast.Attribute) and node.attr == "grad" and self._is_parameter(node.value):
            self.read.add("grad")
            k = node.value.slice.value
            if self.depth == 1 and "grad" not in self.written:  # (read in the first pass)
                self.grad_reads[k] = None
                return f"mk_pg[{k}]"
            t = self.fresh()
            return f"({{ if (!mk_grad(P, {node.value.slice.value}, &{t}, &mk_L)) goto unsure; {t}; }})"
        raise _Untranslatable(type(node).__name__)

    def terms(self, node):
        """C for a literal tuple of floats, and its length."""
        if not isinstance(node, ast.Tuple) or not node.elts:
            raise _Untranslatable("terms")
        if any(isinstance(n, (ast.Call, ast.NamedExpr)) for e in node.elts for n in ast.walk(e)):
            raise _Untranslatable("a call among the terms")  # (it might want the scratch array too)
        return self.scratch_array([self.expr(e) for e in node.elts]), len(node.elts)

    def scratch_array(self, items):
        """C that writes `items` into the one scratch array `_t`, left to right, and is `_t`.

        (One array for every sum and check, not an array each: at -O0 each would keep a stack slot of its
        own for the whole call, hundreds of kilobytes for a large program, more than a thread may have.)
        """
        self.scratch = max(self.scratch, len(items))
        return f"({{ {rolling.scratch_writes(items, self.is_scalar, self.statics)} mk_scratch; }})"

    def is_scalar(self, name):
        """Whether `name` is one of the numbers the function keeps (a double, or a temporary that is no array)."""
        return name in self.doubles and name not in ("output_grad", "lr") or self.temporaries.get(name, 0) is None

    def call(self, node):
        name = node.func.id
        args = node.args
        simple = {"_exp": "MK_EXP", "_log": "MK_LOG", "_sqrt": "MK_SQRT", "_tanh": "MK_TANH"}
        if name in _BUILTINS and len(args) == 1 and self.namespace.get(name) is _BUILTINS[name]:
            if name == "_abs":
                return f"fabs({self.expr(args[0])})"
            return f"{simple[name]}({self.fresh()}, {self.expr(args[0])})"
        if name == "_fsum" and len(args) == 1 and self.namespace.get(name) is math.fsum:
            array, n = self.terms(args[0])
            t = self.fresh()
            return f"({{ {t} = mk_fsum({array}, {n}); if (isnan({t})) goto unsure; {t}; }})"
        if re.fullmatch(r"_(f|df)\d+", name):  # a row's own rule, called: its answer must be a float
            return self.rule_call(node, "mk_call_float")
        if name == "_max" and self.namespace.get("_max") is max and len(args) == 1:
            array, n = self.terms(self._abs_terms(args[0]))
            return f"mk_maxabs({array}, {n})"
        raise _Untranslatable(f"call {name}")

    def rule_call(self, node, getter, size=1, into="NULL"):
        """A call of micrograd_ko's own rule (a row's f, df or check) with floats: C for its answer."""
        function = self.namespace.get(node.func.id)
        if not callable(function) or node.keywords:  # (whether it is micrograd_ko's own: c_function asks)
            raise _Untranslatable(f"call {node.func.id}")
        if node.func.id not in self.objects:
            self.objects.append(node.func.id)
        k = self.objects.index(node.func.id)
        arguments = self.obj(ast.Tuple(elts=list(node.args), ctx=ast.Load()))
        call = f"mk_call(PyTuple_GET_ITEM(K, {k}), {arguments})"
        if getter == "mk_call_float":
            t = self.fresh()
            return f"({{ if (!mk_call_float({call}, &{t})) goto unsure; {t}; }})"
        return f"if (!{getter}({call}, {into}, {size})) goto unsure;"

    def _abs_terms(self, node):
        """The tuple of `_map(_abs, (...))`."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_map"
            and self.namespace.get("_map") is map
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "_abs"
            and self.namespace.get("_abs") is abs
        ):
            raise _Untranslatable("map")
        return node.args[1]

    def test(self, node):
        """C for a condition (an int)."""
        if isinstance(node, ast.Compare):
            symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
            # (an int constant compared with a float: Python compares the numbers exactly, as C does up to 2**53)
            operands = [self.expr(x, beside_float=True) for x in [node.left, *node.comparators]]
            single = len(node.ops) == 1 and type(node.ops[0]) in symbols
            if single and not (self.ordered and _order_matters(node.left, node.comparators[0])):
                return f"({operands[0]} {symbols[type(node.ops[0])]} {operands[1]})"
            if all(map(_plain, [node.left, *node.comparators])) and all(type(op) in symbols for op in node.ops):
                # a < b < c over names and constants: b read twice is b once, and && stops where Python's chain stops
                pairs = zip(operands, [symbols[type(op)] for op in node.ops], operands[1:])
                return "(" + " && ".join(f"({a} {symbol} {b})" for a, symbol, b in pairs) + ")"
            names = [self.fresh() for _ in operands]
            # a < b < c: b once, c only if a < b holds (as Python evaluates a chain)
            code = f"{names[0]} = {operands[0]}; {names[1]} = {operands[1]}; "
            result = f"({names[0]} {symbols[type(node.ops[0])]} {names[1]})"
            for k in range(1, len(node.ops)):
                if type(node.ops[k]) not in symbols:
                    raise _Untranslatable("comparison")
                result = (  # (no int of its own for the part so far: one more stack slot per chain at -O0)
                    f"({result} && ({{ {names[k + 1]} = {operands[k + 1]}; "
                    f"{names[k]} {symbols[type(node.ops[k])]} {names[k + 1]}; }}))"
                )
            if type(node.ops[0]) not in symbols:
                raise _Untranslatable("comparison")
            return f"({{ {code}{result}; }})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(!{self.test(node.operand)})"
        return f"(({self.expr(node)}) != 0.0)"  # a float's truth

    # -- objects (what a call returns) --------------------------------------------------------------------------
    def obj(self, node):
        """C for a new reference to the Python object of `node` (NULL on a memory error).

        Its numbers are computed first, in Python's order, and only then are objects made: a number that hands
        over (`1.0 / x0` with x0 zero) must not leave the objects made before it behind (one float per call)."""
        numbers = []
        made = self._made(node, numbers)
        if not numbers:
            return made
        return f"({{ {' '.join(f'{t} = {code};' for t, code in numbers)} {made}; }})"

    def _made(self, node, numbers):
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self._made(e, numbers) for e in node.elts]
            tuple_ = int(isinstance(node, ast.Tuple))
            return f"mk_new({tuple_}, {len(items)}{''.join(', ' + item for item in items)})"
        if isinstance(node, ast.Name) and node.id == "_results":  # (the list the loop appended to)
            return "Py_NewRef(_results)"
        if isinstance(node, ast.Constant) and type(node.value) is bool:
            return "Py_NewRef(Py_True)" if node.value else "Py_NewRef(Py_False)"
        t = self.fresh()
        numbers.append((t, self.expr(node)))
        return f"PyFloat_FromDouble({t})"

    # -- statements ---------------------------------------------------------------------------------------------
    def emit(self, line, depth):
        if self.writes:
            self.flush_writes(depth)
        if "goto unsure" in line or "MK_" in line:  # a place that may hand over (the MK_ macros' `goto unsure`)
            self.written_before_hand_over |= self.written
        self.lines.append("    " * depth + line)

    def flush_writes(self, depth):
        """The write group collected: its numbers into `mk_wv`, then one call writes them in order."""
        writes, self.writes = self.writes, []
        table = f"mk_wi{len(self.statics)}"
        self.statics.append(f"static const Py_ssize_t {table}[] = {{{', '.join(str(k) for k, _, _ in writes)}}};")
        self.widest_write = max(self.widest_write, len(writes))
        for j, (_, _, number) in enumerate(writes):
            self.emit(f"mk_wv[{j}] = {number};", depth)
        attribute = writes[0][1]
        self.emit(f"if (mk_set_many(P, {table}, {len(writes)}, s_{attribute}, &mk_L, mk_wv) < 0) goto error;", depth)

    def body(self, statements, depth):
        for statement in statements:
            self.statement(statement, depth)

    def statement(self, node, depth):
        self.ordered = node.lineno in self.walrus_lines
        self.depth = depth
        if not isinstance(node, (ast.For, ast.If)) and node.end_lineno != node.lineno:
            raise _Untranslatable("a statement over several lines")
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            return self.assign(node.targets[0], node.value, depth)
        if isinstance(node, ast.If) and not node.orelse:
            return self.branch(node, depth)
        if isinstance(node, ast.For):
            if not (
                self.loop
                and isinstance(node.target, ast.Name)
                and node.target.id == "X"
                and isinstance(node.iter, ast.Name)
                and node.iter.id == "XS"
                and not node.orelse
            ):
                raise _Untranslatable("loop")
            self.emit("for (Py_ssize_t mk_i = 0; mk_i < PyList_GET_SIZE(XS); mk_i++) {", depth)
            self.emit("PyObject *X = PyList_GET_ITEM(XS, mk_i);", depth + 1)
            self.body(node.body, depth + 1)
            self.emit("}", depth)
            return None
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Name) and re.fullmatch(r"_check\d+", call.func.id):
                self.emit(self.rule_call(call, "mk_call_none"), depth)
                return None
            if (
                isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "_results"
                and call.func.attr == "append"
                and len(call.args) == 1
            ):
                self.emit(f"if (mk_append(_results, {self.obj(call.args[0])}) < 0) goto error;", depth)
                return None
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Name) and node.value.id == "_results":
                self.emit("result = Py_NewRef(_results); goto done;", depth)
            else:
                self.emit(f"result = {self.obj(node.value)}; if (result == NULL) goto error; goto done;", depth)
            return None
        raise _Untranslatable(type(node).__name__)

    def assign(self, target, value, depth):
        if isinstance(target, ast.Name):
            name = target.id
            if name == "_results" and isinstance(value, ast.List) and not value.elts:
                self.emit("Py_XDECREF(_results); _results = PyList_New(0); if (_results == NULL) goto error;", depth)
                return
            if name == "_s" and self._is_sum(value):  # a check's sum: its variables are checked at the `if`
                self.pending = [self.expr(e) for e in value.args[0].elts]
                return
            if (
                name == "_s"
                and isinstance(value, ast.BinOp)
                and isinstance(value.left, ast.Name)
                and value.left.id == "_s"
                and self._is_sum(value.right)
            ):
                self.pending += [self.expr(e) for e in value.right.args[0].elts]
                return
            if name == "_gb" and self._is_sum_call(value):  # the leaf bound's sum (checked with a margin)
                array, n = self.terms(self._abs_terms(value.args[0]))
                self.doubles["_gb"] = None
                # (the terms are written once, before the loop: inside it they were written again for each term)
                loop = f"for (int mk_j = 0; mk_j < {n}; mk_j++) _gb += fabs(mk_gt[mk_j]);"
                self.emit(f"{{ const double *mk_gt = {array}; _gb = 0.0; {loop} }}", depth)
                return
            if self._is_data_read(value):  # (all of them come first: read in one pass, into `mk_pd`)
                self.read.add("data")
                self.doubles[name] = None
                self.emit(f"{name} = mk_pd[{value.value.slice.value}];", depth)
                return
            code = self.expr(value)  # (before the name is known: `g = g + ...` reads the old one)
            self.doubles[name] = None
            self.emit(f"{name} = {code};", depth)
            return
        if isinstance(target, ast.Attribute) and self._is_parameter(target.value) and target.attr in ("grad", "data"):
            k = target.value.slice.value
            if isinstance(value, ast.Name) and value.id in self.doubles:  # a number computed already: grouped
                if self.writes and self.writes[-1][1] != target.attr:
                    self.flush_writes(depth)
                self.writes.append((k, target.attr, value.id))
                self.written.add(target.attr)
                return
            code = self.expr(value)
            self.written.add(target.attr)
            self.emit(f"if (mk_set(P, {k}, s_{target.attr}, &mk_L, {code}) < 0) goto error;", depth)
            return
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            names = [e.id for e in target.elts]
            if isinstance(value, ast.Name) and value.id == "X":
                return self.unpack_inputs(names, depth)
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and re.fullmatch(r"_df\d+", value.func.id)
            ):
                array = self.fresh(len(names))
                self.emit("{", depth)
                self.emit("  " + self.rule_call(value, "mk_call_floats", len(names), array), depth)
                for k, name in enumerate(names):
                    self.doubles[name] = None
                    self.emit(f"  {name} = {array}[{k}];", depth)
                self.emit("}", depth)
                return None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                return self.callback(names, value, depth)
        raise _Untranslatable("assignment")

    def unpack_inputs(self, names, depth):
        n = len(names)
        self.emit(
            f"if (!(PyList_CheckExact(X) || PyTuple_CheckExact(X)) || PySequence_Fast_GET_SIZE(X) != {n}) goto unsure;",
            depth,
        )
        self.emit(f"if (!mk_floats(X, mk_xd, {n})) goto unsure;", depth)
        self.inputs = n
        for k, name in enumerate(names):
            self.doubles[name] = None
            self.emit(f"{name} = mk_xd[{k}];", depth)

    def callback(self, names, call, depth):
        """`v, d = _replay([...])`: micrograd_ko's own rule, called with the floats; its slopes kept in an array.
        A built-in loss's rule is runtime.c's (`_RULES_IN_C`), without a call of Python."""
        function = self.namespace.get(call.func.id)
        if not (call.func.id.startswith("_replay") and callable(function)) or call.keywords or len(call.args) != 1:
            raise _Untranslatable(f"callback {call.func.id}")
        if len(names) != 2 or not isinstance(call.args[0], ast.List):
            raise _Untranslatable("callback form")
        value, slopes = names
        rule = _rule_in_c(call.func.id, function)
        if rule is not None:
            c_rule, constants = rule
            size = len(call.args[0].elts)
            self.doubles[value] = None
            self.arrays[slopes] = size
            self.scratch = max(self.scratch, size)
            parents = self.fresh(size)
            self.emit("{", depth)
            self.emit(
                "  " + " ".join(f"{parents}[{k}] = {self.expr(e)};" for k, e in enumerate(call.args[0].elts)), depth
            )
            extra = "".join(f", {_hex(c)}" for c in constants)
            self.emit(f"  if (!{c_rule}({parents}, {size}, &{value}, {slopes}, mk_scratch{extra})) goto unsure;", depth)
            self.emit("}", depth)
            return
        self.objects.append(call.func.id)
        k = len(self.objects) - 1
        size = len(call.args[0].elts)
        self.doubles[value] = None
        self.arrays[slopes] = size
        self.emit("{", depth)
        self.emit(f"  PyObject *mk_a = {self.obj(call.args[0])}; if (mk_a == NULL) goto error;", depth)
        self.emit(f"  PyObject *mk_r = PyObject_CallOneArg(PyTuple_GET_ITEM(K, {k}), mk_a); Py_DECREF(mk_a);", depth)
        self.emit("  if (mk_r == NULL) { mk_clear(); goto unsure; }", depth)
        self.emit(
            f"  int mk_ok = PyTuple_CheckExact(mk_r) && PyTuple_GET_SIZE(mk_r) == 2"
            f" && mk_float(PyTuple_GET_ITEM(mk_r, 0), &{value}) && mk_floats(PyTuple_GET_ITEM(mk_r, 1), {slopes}, {size});",
            depth,
        )
        self.emit("  Py_DECREF(mk_r); if (!mk_ok) goto unsure;", depth)
        self.emit("}", depth)

    def branch(self, node, depth):
        (action,) = node.body
        test = node.test
        if self._is_check(test):  # `if _s - _s or _type(_s) is not _float:` over the pending variables
            names, self.pending = self.pending, []
            if not names:
                raise _Untranslatable("empty check")
            array = self.scratch_array(names)
            if isinstance(action, ast.Raise):
                self.emit(f"if (!mk_small({array}, {len(names)})) goto unsure;", depth)
                return
            if isinstance(action, ast.Return):  # the SGD step's: a new number not finite keeps the old ones
                self.emit(f"switch (mk_finite({array}, {len(names)})) {{", depth)
                self.emit("case 0: {", depth)
                self.statement(action, depth + 1)
                self.emit("}", depth)
                self.emit("case 1: break;", depth)
                self.emit("default: goto unsure;", depth)
                self.emit("}", depth)
                return
        if isinstance(action, ast.Raise):  # a guard, the leaf bound: hand over where it would raise
            if self._is_bound(test):
                self.emit(f"if (!(_gb * _wm <= {_hex(_LIMIT / 10)})) goto unsure;", depth)
                return
            self.emit(f"if ({self.test(test)}) goto unsure;", depth)
            return
        raise _Untranslatable("if")

    # -- the generator's own patterns ---------------------------------------------------------------------------
    def _is_sum(self, node):
        return self._is_sum_call(node) and isinstance(node.args[0], ast.Tuple)

    def _is_sum_call(self, node):
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_sum"
            and self.namespace.get("_sum") is sum
            and len(node.args) == 1
        )

    def _is_check(self, node):
        return (
            ast.dump(node) == _CHECK_TEST
            and self.namespace.get("_type") is type
            and self.namespace.get("_float") is float
        )

    def _is_bound(self, node):
        return ast.dump(node) == _BOUND_TEST and "_gb" in self.doubles and "_wm" in self.doubles

    def _is_parameter(self, node):
        """Whether `node` is `P[k]` (then k is counted among the parameters the function reads or writes)."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "P"
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
        ):
            self.highest = max(self.highest, node.slice.value)
            return True
        return False

    def _is_data_read(self, node):
        return isinstance(node, ast.Attribute) and node.attr == "data" and self._is_parameter(node.value)

    # -- the whole function -------------------------------------------------------------------------------------
    def c_function(self):
        self.body(self.function.body, 1)
        if self.writes:
            self.flush_writes(1)
        if not isinstance(self.function.body[-1], ast.Return):  # (falling off the end hands over too)
            self.written_before_hand_over |= self.written
        if self.written_before_hand_over & self.read:
            raise _Untranslatable("a hand-over after a write of what the function reads")
        highest = self.highest
        # The numbers the function keeps: on the stack, or (more than a thread's stack surely holds) in a block
        # of memory taken at the start and given back at every exit, each name #defined as its place there.
        declared = [n for n in self.doubles if n not in ("output_grad", "lr")]
        scalars = declared + [name for name, size in self.temporaries.items() if size is None]
        elements, families = rolling.family_arrays(scalars)  # (`p7` is `mk_n_p[7]`: see rolling.py)
        self.lines = rolling.rolled(self.lines, elements, self.statics)
        kept = [(name, None) for name in scalars if name not in elements] + list(families.items())
        kept += [(name, size) for name, size in self.arrays.items()]
        kept += [(name, size) for name, size in self.temporaries.items() if size is not None]
        floats = [k for k, name in enumerate(self.objects) if type(self.namespace.get(name)) is float]
        kept += [(f"mk_K{k}", None) for k in floats]  # (the guards' numbers, handed in with the call)
        kept.append(("mk_scratch", max(self.scratch, 1)))
        if highest >= 0:
            kept.append(("mk_pd", highest + 1))
        if self.grad_reads:
            kept.append(("mk_pg", highest + 1))
        if self.widest_write:
            kept.append(("mk_wv", self.widest_write))
        if self.inputs:
            kept.append(("mk_xd", self.inputs))
        numbers = sum(1 if size is None else size for _, size in kept)
        on_heap = 8 * numbers > _LARGEST_FRAME
        members = [name if size is None else f"{name}[{size}]" for name, size in kept]
        declarations = [f"    double {', '.join(members[k : k + 50])};" for k in range(0, len(members), 50)]
        head = [
            "static PyObject *compiled(PyObject *module, PyObject *const *args, Py_ssize_t nargs)",
            "{",
            f'    if (nargs != {len(self.params) + 1}) {{ PyErr_SetString(PyExc_TypeError, "arguments"); return NULL; }}',
            f"    PyObject *K = args[0], *{self.params[0]} = args[1], *P = args[2];",
            "    PyObject *result = NULL, *_results = NULL;",
        ]
        if on_heap:  # (taken before any exit, each of which gives it back)
            head.append("    struct mk_frame {")
            head.extend("    " + line for line in declarations)
            head.append("    } *mk_F = PyMem_Malloc(sizeof(struct mk_frame));")
            head.append("    if (mk_F == NULL) Py_RETURN_NOTIMPLEMENTED;  /* (no memory: the Python code decides) */")
            head.extend(f"#define {name} (mk_F->{name})" for name, _ in kept)
        else:
            head.extend(declarations)
        head += [
            "    double output_grad, lr = 0.0;",
            "    (void)K; (void)lr;",
            "    if (!mk_float(args[3], &output_grad)) goto unsure;",
        ]
        if "lr" in self.params:
            head.append("    if (!mk_float(args[4], &lr)) goto unsure;")
        head.append(f"    if (!PyList_CheckExact(P) || PyList_GET_SIZE(P) <= {highest}) goto unsure;")
        if self.loop:
            head.append("    if (!PyList_CheckExact(XS)) goto unsure;")
        head.append(f"    if (!PyTuple_CheckExact(K) || PyTuple_GET_SIZE(K) != {len(self.objects)}) goto unsure;")
        for k in floats:
            head.append(f"    if (!mk_float(PyTuple_GET_ITEM(K, {k}), &mk_K{k})) goto unsure;")
        head.append(f"    mk_layout mk_L; mk_slots(P, {highest + 1}, &mk_L);")
        if highest >= 0:
            head.append(f"    if (!mk_data(P, {highest + 1}, mk_pd, &mk_L)) goto unsure;")
        if self.grad_reads:
            self.statics.append(f"static const Py_ssize_t mk_gi[] = {{{', '.join(map(str, self.grad_reads))}}};")
            head.append(f"    if (!mk_grads(P, mk_gi, {len(self.grad_reads)}, mk_pg, &mk_L)) goto unsure;")
        release = ["    PyMem_Free(mk_F);"] if on_heap else []
        tail = [
            "    goto unsure;",  # (a function that falls off its end: the Python code decides)
            "done:",
            *release,
            "    Py_XDECREF(_results);",
            "    return result;",
            "unsure:",
            *release,
            "    Py_XDECREF(_results);",
            "    if (PyErr_Occurred()) return NULL;  /* (an error mk_clear kept: raised, as by the Python code) */",
            "    Py_RETURN_NOTIMPLEMENTED;",
            "error:",
            *release,
            "    Py_XDECREF(_results);",
            "    return NULL;",
            "}",
        ]
        return "\n".join(self.statics + head + self.lines + tail) + "\n"


# The built-in losses whose rules runtime.c computes too (`mk_<name>`), by the name a replay of one has in the
# generated code (`_replay_mse_3`, see generate._LOSS_ROWS): the loss's row, its rules as losses.py made them
# (taken here, at import), and the numbers those rules read, which the C text is given.
_RULES_IN_C = {
    "mse": (losses.MSE, losses.MSE.forward, losses.MSE.derivative, ()),
    "bce": (losses.BCE, losses.BCE.forward, losses.BCE.derivative, (losses._BCE_LOG_MIN, losses._BCE_EPS)),
    "cross_entropy": (
        losses.CROSS_ENTROPY,
        losses.CROSS_ENTROPY.forward,
        losses.CROSS_ENTROPY.derivative,
        (engine._EXP_UNDERFLOW,),
    ),
}


def loss_named(name):
    """The built-in loss whose name a replay's name holds (`_replay_mse_3`: "mse"), or None."""
    named = re.fullmatch(r"_replay_(\w+?)_\d+", name)
    return named.group(1) if named else None


def _rule_in_c(name, replay):
    """(runtime.c's function, its constants) for a replay named after a built-in loss (`_replay_mse_3`) that
    replays that loss with its own rules; None for any other."""
    loss = loss_named(name)
    entry = _RULES_IN_C.get(loss) if loss else None
    op = getattr(replay, "op", None)
    if entry is None or op is not entry[0] or op.forward is not entry[1] or op.derivative is not entry[2]:
        return None
    return f"mk_{loss}", entry[3]


def rule_holds(name, replay):
    """Whether a replay named after a built-in loss still replays that loss with its own rules, which the C text
    of its program computes itself. Programs of one text share its C text: each program's namespace is asked
    (`native.c_function`), as the translation saw only the first's."""
    return not name.startswith("_replay_") or _rule_in_c(name, replay) is not None


def _effects(node):
    """(names a `:=` in `node` assigns, names it reads, whether it calls a rule of Python's)."""
    assigned, read, calls = set(), set(), False
    for n in ast.walk(node):
        if isinstance(n, ast.NamedExpr):
            assigned.add(n.target.id)
        elif isinstance(n, ast.Name):
            read.add(n.id)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id not in _BUILTINS:
            calls = True
    return assigned, read, calls


def _plain(node):
    """A name or a number: reading it has no effect and gives the same number every time."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, (ast.Name, ast.Constant))


def _order_matters(left, right):
    """Whether evaluating `right` before `left` could give another answer: a `:=` on one side of a name the
    other reads, or a call of Python code on each side (an error either raises is kept and raised)."""
    assigned_left, read_left, calls_left = _effects(left)
    assigned_right, read_right, calls_right = _effects(right)
    return bool(assigned_left & read_right or assigned_right & read_left) or calls_left and calls_right


_BUILTINS = {"_exp": math.exp, "_log": math.log, "_sqrt": math.sqrt, "_tanh": math.tanh, "_abs": abs}
_CHECK_TEST = ast.dump(ast.parse("_s - _s or _type(_s) is not _float", mode="eval").body)
_BOUND_TEST = ast.dump(ast.parse("not _gb * _wm <= 1e300", mode="eval").body)


def c_text(source, namespace):
    """(C text of the module, module name, names of the namespace objects the function takes) or None."""
    if len(source) > _LARGEST_SOURCE:
        return None
    try:
        translator = _Translator(source, namespace)
        function = translator.c_function()
    except (_Untranslatable, ValueError, TypeError, AttributeError, KeyError):
        return None
    objects = tuple(translator.objects)
    made = made_for(source, objects)  # (in the name too: a module is only ever one text's)
    module_name = "_mk_native_" + hashlib.sha1((function + made).encode()).hexdigest()[:20]
    return module_text(module_name, function, made), module_name, objects


def made_for(source, objects):
    """What a module is the C form of: a hash of the generated text and the names of the objects it takes, kept
    in the module (`made_for`), so that a record naming another text's module is not believed (`build.recorded`)."""
    return hashlib.sha256("\0".join([source, *objects]).encode()).hexdigest()


def module_text(module_name, function, made=""):
    """The whole C file: the prelude, the helpers, the function `compiled`, and the module's table."""
    return (
        build.runtime_header()
        + function
        + f"""
static PyMethodDef methods[] = {{
    {{"compiled", (PyCFunction)(void (*)(void))compiled, METH_FASTCALL, NULL}},
    {{"sgd_momentum", (PyCFunction)(void (*)(void))mk_sgd_momentum, METH_FASTCALL, NULL}},
    {{NULL, NULL, 0, NULL}}
}};

static struct PyModuleDef definition = {{PyModuleDef_HEAD_INIT, "{module_name}", NULL, -1, methods}};

PyMODINIT_FUNC PyInit_{module_name}(void)
{{
    s_data = PyUnicode_InternFromString("data");
    s_grad = PyUnicode_InternFromString("grad");
    if (s_data == NULL || s_grad == NULL) return NULL;
    PyObject *made = PyModule_Create(&definition);
    if (made != NULL && PyModule_AddStringConstant(made, "made_for", "{made}") < 0) {{ Py_DECREF(made); return NULL; }}
    return made;
}}
"""
    )
