import pytest
import torch
from transformers import AutoConfig, AutoModel, BertConfig, BertModel

from secnews.labels import STANCES, THREATS
from secnews.modeling import SecnewsConfig, SecnewsModel


@pytest.fixture
def model(tmp_path):
    encoder = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=32))
    encoder.save_pretrained(tmp_path / "enc")
    return SecnewsModel.from_encoder(str(tmp_path / "enc"), stance_temperature=1.7).eval()


def test_config_defaults_to_v1_labels_and_checks_thresholds():
    config = SecnewsConfig()
    assert config.threat_labels == list(THREATS) and config.stance_labels == list(STANCES)
    assert config.threat_thresholds == [0.5] * len(THREATS)
    with pytest.raises(ValueError, match="threat_thresholds"):
        SecnewsConfig(threat_labels=["a", "b"], threat_thresholds=[0.5])
    with pytest.raises(ValueError, match="repeat"):
        SecnewsConfig(threat_labels=["a", "a"])


def test_from_encoder_copies_the_encoder_weights(tmp_path, model):
    encoder = BertModel.from_pretrained(tmp_path / "enc")
    assert torch.equal(model.encoder.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)


def test_forward_gives_both_heads_and_a_loss(model):
    ids = torch.randint(1, 50, (3, 9))
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
    assert out.threat_logits.shape == (3, len(THREATS)) and out.stance_logits.shape == (3, len(STANCES))
    assert out.loss is None
    out = model(input_ids=ids, threat_labels=torch.zeros(3, len(THREATS)), stance_labels=torch.tensor([0, 1, 2]))
    assert out.loss is not None and out.loss.item() > 0


def test_padding_does_not_change_the_prediction(model):
    ids = torch.randint(1, 50, (1, 6))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(1, 6), torch.zeros(1, 4)], dim=1).long()
    a = model(input_ids=ids).threat_logits
    b = model(input_ids=padded, attention_mask=mask).threat_logits
    assert torch.allclose(a, b, atol=1e-5)


def test_round_trip_through_auto_classes_in_fp16(tmp_path, model):
    model.config.threat_thresholds = [0.3] * len(THREATS)
    model.save_pretrained(tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").exists()
    assert not list((tmp_path / "m").glob("*.bin"))
    assert isinstance(AutoConfig.from_pretrained(tmp_path / "m"), SecnewsConfig)
    loaded = AutoModel.from_pretrained(tmp_path / "m").eval()
    assert isinstance(loaded, SecnewsModel)
    assert loaded.config.stance_temperature == pytest.approx(1.7)
    assert loaded.config.threat_thresholds == [0.3] * len(THREATS)
    ids = torch.randint(1, 50, (2, 5))
    assert torch.allclose(model(input_ids=ids).stance_logits, loaded(input_ids=ids).stance_logits, atol=1e-6)
    model.half().save_pretrained(tmp_path / "h")
    half = SecnewsModel.from_pretrained(tmp_path / "h", dtype=torch.float32)
    assert next(half.parameters()).dtype == torch.float32
