"""참고 답안: 02 활성화 함수와 국소적 미분. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 02-softsign
def softsign(x):
    """기본 연산(나눗셈, 절댓값, 덧셈)으로 만든 활성화 함수."""
    return x / (1 + abs(x))


def softsign_derivative(x):
    """softsign'(x)를 손으로 유도한 공식."""
    return 1.0 / (1.0 + abs(x)) ** 2


# %% exercise: 02-sin
def sin_derivative(inputs, out):
    """[∂sin(x)/∂x]: 입력 하나에 국소적 미분 하나."""
    (x,) = inputs
    return [math.cos(x)]
