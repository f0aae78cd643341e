"""참고 답안: 04 기울기 소실. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 04-bias-norms
def hidden_bias_grad_norms(model):
    """은닉층마다 ‖∂L/∂b‖."""
    return [math.sqrt(sum(neuron.b.grad ** 2 for neuron in layer.neurons)) for layer in model.layers[:-1]]
