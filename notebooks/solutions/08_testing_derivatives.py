"""참고 답안: 08 미분을 테스트하기. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 08-sigmoid-backward
def sigmoid_backward(y, dout):
    """dx = dout · σ'(x) = dout · y(1 − y)."""
    return dout * y * (1.0 - y)


def sigmoid_backward_property(backward):
    """`backward`가 엔진의 역전파와 같은지 확인하는 hypothesis 테스트."""

    @settings(max_examples=100)
    @given(st.floats(min_value=-30, max_value=30), st.floats(min_value=-10, max_value=10))
    def test(x0, dout):
        x = Value(x0)
        y = x.sigmoid()
        expected = grad(y * dout, x)  # 엔진이 계산한 ∂(σ(x)·dout)/∂x
        assert math.isclose(backward(y.data, dout), expected, rel_tol=1e-9, abs_tol=1e-12)

    return test
