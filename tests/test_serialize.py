"""state_dict / save / load: exact round trips; corrupt or mismatched input is refused whole."""

import json

import pytest

from micrograd_ko.nn import MLP


def params(model):
    return [p.data for p in model.parameters()]


def test_save_then_load_reproduces_outputs_exactly(tmp_path):
    model = MLP(
        3,
        [5, 4, 2],
        activation=["tanh", "gelu"],
        output_activation="sigmoid",
        dropout=0.1,
        init="he_normal",
        bias_init="normal",
        seed=4,
    )
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert loaded.config == model.config
    assert [layer.activation for layer in loaded.layers] == ["tanh", "gelu", "sigmoid"]
    assert params(loaded) == params(model)
    model.eval(), loaded.eval()
    for x in ([0.1, 0.2, 0.3], [-3.0, 1e-3, 7.5]):
        assert [v.data for v in loaded(x)] == [v.data for v in model(x)]


def test_the_file_is_plain_json_with_the_architecture(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "micrograd_ko.MLP" and document["version"] == 1
    assert document["config"] == {
        "nin": 2,
        "nouts": [3, 1],
        "activation": ["relu"],
        "output_activation": "linear",
        "dropout": 0.0,
    }
    assert len(document["state_dict"]["layers.0.neurons.2.w"]) == 2


def test_state_dict_round_trip_between_models():
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    state = a.state_dict()
    assert all(isinstance(v, (float, list)) for v in state.values())
    b.load_state_dict(state)
    assert params(b) == params(a)
    state["layers.1.neurons.0.b"] = 123.0  # a copy, not a view of the model
    assert a.layers[1].neurons[0].b.data != 123.0


def test_a_mismatched_state_names_the_problem_and_changes_nothing():
    model = MLP(2, [3, 1], seed=0)
    before = params(model)
    good = model.state_dict()

    wider = MLP(3, [3, 1], seed=0).state_dict()
    with pytest.raises(ValueError) as error:
        model.load_state_dict(wider)
    assert "layers.0.neurons.0.w" in str(error.value) and "expected 2 entries, got 3" in str(error.value)

    deeper = MLP(2, [3, 3, 1], seed=0).state_dict()
    with pytest.raises(ValueError, match=r"unexpected keys: .*layers\.2\.neurons\.0\.w"):
        model.load_state_dict(deeper)

    partial = dict(good)
    del partial["layers.1.neurons.0.b"]
    with pytest.raises(ValueError, match="missing keys: layers.1.neurons.0.b"):
        model.load_state_dict(partial)

    # every entry but the last is fine: still nothing may change
    bad_last = {k: ([9.0] * len(v) if isinstance(v, list) else 9.0) for k, v in good.items()}
    bad_last["layers.1.neurons.0.b"] = "nan"
    with pytest.raises(ValueError, match="layers.1.neurons.0.b"):
        model.load_state_dict(bad_last)
    assert params(model) == before

    with pytest.raises(TypeError):
        model.load_state_dict([1, 2, 3])


@pytest.mark.parametrize(
    "text",
    [
        "",
        '{"format": "micrograd_ko.MLP", "version": 1, "config": {"nin": 2',  # truncated
        "[1, 2, 3]",
        '{"format": "something else"}',
        '{"format": "micrograd_ko.MLP", "version": 99, "config": {}, "state_dict": {}}',
        '{"format": "micrograd_ko.MLP", "version": 1}',
        '{"format": "micrograd_ko.MLP", "version": 1, "config": {"nin": 2, "nouts": [1], "bogus": 1}, '
        '"state_dict": {}}',
        '{"format": "micrograd_ko.MLP", "version": 1, "config": {"nin": 1, "nouts": [1]}, '
        '"state_dict": {"layers.0.neurons.0.w": [NaN], "layers.0.neurons.0.b": 0}}',
    ],
)
def test_corrupt_files_are_rejected_with_the_path_in_the_message(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        MLP.load(path)
    assert str(path) in str(error.value) and " / " in str(error.value)


def test_a_file_with_the_wrong_shapes_names_the_mismatch(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["state_dict"]["layers.0.neurons.1.w"].append(0.5)
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.1\.w: .*expected 2 entries, got 3"):
        MLP.load(path)


def test_a_tiny_file_cannot_make_us_build_a_huge_model(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["config"].update(nin=1000, nouts=[900, 1])
    document["state_dict"] = {}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="implies 901801 parameters but the file stores 0"):
        MLP.load(path)


@pytest.mark.parametrize(
    "nouts, message",
    [
        ([100000, 1], "10,000,200,001 parameters is too large"),
        ([1] * 1001, "1001 layers and 2,002 parameters is too large"),
    ],
)
def test_a_model_beyond_the_stated_caps_is_refused_before_it_is_built(tmp_path, nouts, message):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["config"].update(nin=100000 if len(nouts) == 2 else 1, nouts=nouts, activation="relu")
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        MLP.load(path)


@pytest.mark.parametrize("content", [bytes(range(256)), b"[" * 100000 + b"]" * 100000])
def test_binary_or_absurdly_nested_files_are_rejected_as_corrupt(tmp_path, content):
    path = tmp_path / "m.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not valid JSON"):
        MLP.load(path)


def test_saving_into_a_missing_folder_names_it_in_both_languages(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=r"폴더 .*nope.*does not exist"):
        MLP(2, [1], seed=0).save(missing / "m.json")


def test_a_missing_file_and_a_folder_are_named_in_both_languages(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        MLP.load(tmp_path / "nope.json")
    assert "nope.json: 파일이 없습니다 / no such file" in str(error.value)
    with pytest.raises(IsADirectoryError) as error:
        MLP.load(tmp_path)
    assert f"{tmp_path}: 파일이 아니라 폴더입니다 / is a folder, not a file" in str(error.value)


@pytest.mark.parametrize("where", ["weight", "nin", "version"])
def test_a_400_digit_number_is_refused_with_a_short_clear_message(tmp_path, where):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    huge = "9" * 400
    text = path.read_text(encoding="utf-8")
    if where == "weight":
        document = json.loads(text)
        document["state_dict"]["layers.0.neurons.0.b"] = "HUGE"
        text = json.dumps(document).replace('"HUGE"', huge)
    elif where == "nin":
        text = text.replace('"nin": 2', f'"nin": {huge}')
    else:
        text = text.replace('"version": 1', f'"version": {huge}')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        MLP.load(path)
    message = str(error.value)
    assert " / " in message and str(path) in message and huge not in message and len(message) < 600


def test_a_file_beyond_the_size_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from micrograd_ko import serialize

    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match=r"the file is too large \(\d+ bytes, at most 100\)"):
        MLP.load(path)
    with pytest.raises(ValueError, match=r"the file is too large \(at most 100 bytes\)"):
        MLP.load("/dev/zero")  # a device has no size to check first: reading stops at the cap


def test_save_refuses_what_load_would_refuse_so_every_saved_file_loads(tmp_path, monkeypatch):
    from micrograd_ko import nn

    over = MLP(2, [4, 1], seed=0)  # built before the cap is lowered (building checks the cap too)
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 13)
    MLP(2, [3, 1], seed=0).save(tmp_path / "at_cap.json")  # (2 + 1) * 3 + (3 + 1) * 1 = 13 parameters
    assert params(MLP.load(tmp_path / "at_cap.json")) == params(MLP(2, [3, 1], seed=0))
    with pytest.raises(ValueError, match="17 parameters is too large for a model file"):
        over.save(tmp_path / "over.json")
    assert not (tmp_path / "over.json").exists()


def test_the_readme_states_the_caps_the_code_uses():
    from pathlib import Path

    from micrograd_ko import nn

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"최대 {nn.MAX_LAYERS:,}층·매개변수 {nn.MAX_PARAMETERS:,}개" in readme


@pytest.mark.parametrize("bad", [0, 1, None, 3.5])
def test_a_file_name_that_is_not_a_name_is_refused_before_any_file_is_opened(bad, monkeypatch):
    """open(0) reads the terminal (load would wait for input: a hang) and open(1) writes to, then closes, stdout:
    a number is not a file name, for save as for load."""
    import builtins

    opened = []
    monkeypatch.setattr(builtins, "open", lambda *args, **kwargs: opened.append(args) or 1 / 0)
    for call in (lambda: MLP.load(bad), lambda: MLP(2, [1], seed=0).save(bad)):
        with pytest.raises(TypeError) as error:
            call()
        message = str(error.value)
        assert f"파일 이름(str 또는 Path)이어야 합니다 (받은 것: {bad!r})" in message
        assert f"must be a file name (a str or a Path), got {bad!r}" in message
    assert opened == []
