"""참고 답안: 04 기울기 소실. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 04-bias-norms
def hidden_bias_grad_norms(model):
    """은닉층마다 ‖∂L/∂b‖."""
    return [math.sqrt(sum(neuron.b.grad ** 2 for neuron in layer.neurons)) for layer in model.layers[:-1]]

# %% exercise: 04-predict
def predict_factor(mean_sigma, n, var_w):
    """층 하나를 내려갈 때 기울기에 곱해지는 배율의 예측: σ′ × 가중치가 곱하는 배수."""
    return mean_sigma * math.sqrt(n * var_w)  # 부호가 제멋대로인 n개의 합: 크기는 √n · 표준편차
