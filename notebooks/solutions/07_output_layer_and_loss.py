"""참고 답안: 07 출력층과 손실 함수. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 07-ce-grad
def cross_entropy_gradient(z, k):
    """softmax(z) − 원-핫(k) (최댓값을 빼서 e^z가 넘치지 않게)."""
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    total = sum(exps)
    return [e / total - (1.0 if j == k else 0.0) for j, e in enumerate(exps)]
