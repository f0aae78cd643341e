"""참고 답안: 03 선형 활성화와 XOR. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 03-weights
hidden_W = [[5.0, 5.0], [-7.0, -7.0]]  # 은닉 뉴런 2개 × 입력 2개 (강의의 답)
hidden_b = [-8.0, 3.0]
output_W = [[-11.0, -11.0]]           # 출력 뉴런 1개 × 은닉 뉴런 2개
output_b = [6.0]

# %% exercise: 03-loop
def train_by_hand(model, steps, lr):
    """손으로 쓴 경사 하강법. 단계마다의 손실을 돌려줍니다."""
    history = []
    for step in range(steps):
        model.zero_grad()              # 1. 지난 단계의 기울기를 지웁니다
        loss = mean_loss(model)        # 2. 순전파
        loss.backward()                # 3. 역전파: p.grad = ∂L/∂p
        for p in model.parameters():   # 4. 경사 하강법
            p.data -= lr * p.grad
        history.append(loss.data)
    return history
