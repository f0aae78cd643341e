"""참고 답안: 06 가중치 초기화. 먼저 직접 풀어 보세요.

각 절은 노트북의 연습 셀 하나(셀 id)의 답입니다.
"""

# %% exercise: 06-he
def my_he(rng, fan_in, fan_out):
    """He 정규분포 초깃값: 평균 0, 표준편차 √(2/fan_in)인 가중치 하나."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))
