"""참고 답안: 05 ReLU와 그 변형들. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 05-dead
def count_dead(model, inputs):
    """은닉층마다 죽은 뉴런 수의 목록."""
    outputs_per_layer = [[] for _ in model.layers[:-1]]
    with no_grad():
        for x in inputs:
            h = x
            for i, layer in enumerate(model.layers[:-1]):
                h = [v.data for v in layer(h)]
                outputs_per_layer[i].append(h)
    return [sum(all(row[j] == 0.0 for row in rows) for j in range(len(rows[0]))) for rows in outputs_per_layer]
