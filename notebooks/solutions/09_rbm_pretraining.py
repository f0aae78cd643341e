"""참고 답안: 09 RBM 사전학습. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 09-cd1-delta
def my_cd1_delta_W(h0, v0, h1, v1, lr):
    """ΔW: 은닉 뉴런마다 한 행, 행마다 보이는 뉴런 수만큼."""
    return [[lr * (h0[j] * v0[i] - h1[j] * v1[i]) for i in range(len(v0))] for j in range(len(h0))]
