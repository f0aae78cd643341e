"""참고 답안: 00 Value를 직접 만들기. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다. notebooks/run_notebook.py와 tests/test_notebooks.py가
이 답을 연습 셀에 넣고 노트북을 실행합니다.
"""

# %% exercise: 00-value
class MyValue:
    """숫자 하나, 그 숫자를 만든 입력들(parents), 각 입력에 대한 국소적 미분(local_grads)."""

    def __init__(self, data, parents=(), local_grads=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.local_grads = local_grads

    def __repr__(self):
        return f"MyValue(data={self.data:.4f}, grad={self.grad:.4f})"

    def __add__(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return MyValue(t, (self,), (1.0 - t * t,))

    def backward(self):
        order, visited = [], set()

        def visit(node):  # 깊이 우선: 부모를 모두 넣은 뒤에 자신을 넣습니다
            if node not in visited:
                visited.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):  # 출력에서 입력 쪽으로
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += node.grad * local

    __radd__ = __add__
    __rmul__ = __mul__
