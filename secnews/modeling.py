"""SecnewsConfig and SecnewsModel: one encoder, a multi-label threat head and a stance head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from .labels import STANCES, THREATS


class SecnewsConfig(PretrainedConfig):
    """Configuration: the encoder's config, both label lists, thresholds and stance temperature.

    `standardize_pooled` adds a fixed per-feature standardisation of the pooled vector (mean and
    std measured on the training texts before fine-tuning): encoders whose pooled vectors share
    one large common direction, such as multilingual-e5, otherwise give the heads almost no signal.
    """

    model_type = "secnews"

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        threat_labels: Sequence[str] = THREATS,
        stance_labels: Sequence[str] = STANCES,
        threat_thresholds: Sequence[float] | None = None,
        stance_temperature: float = 1.0,
        classifier_dropout: float = 0.1,
        max_seq_length: int = 256,
        standardize_pooled: bool = False,
        languages: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoder = dict(encoder) if encoder is not None else {"model_type": "bert"}
        self.threat_labels = list(threat_labels)
        self.stance_labels = list(stance_labels)
        self.threat_thresholds = (
            [0.5] * len(self.threat_labels) if threat_thresholds is None else list(threat_thresholds)
        )
        if len(self.threat_thresholds) != len(self.threat_labels):
            raise ValueError(
                f"threat_thresholds has {len(self.threat_thresholds)} values for "
                f"{len(self.threat_labels)} threat labels"
            )
        if len(set(self.threat_labels)) != len(self.threat_labels) or len(set(self.stance_labels)) != len(self.stance_labels):
            raise ValueError("label lists must not repeat a label")
        self.stance_temperature = float(stance_temperature)
        self.classifier_dropout = float(classifier_dropout)
        self.max_seq_length = int(max_seq_length)
        self.standardize_pooled = bool(standardize_pooled)
        self.languages = list(languages) if languages is not None else None
        super().__init__(**kwargs)

    def encoder_config(self) -> PretrainedConfig:
        """The encoder's own config object."""
        kwargs = dict(self.encoder)
        return AutoConfig.for_model(kwargs.pop("model_type"), **kwargs)


@dataclass
class SecnewsOutput(ModelOutput):
    """Loss (when labels are given) and the logits of both heads."""

    loss: torch.Tensor | None = None
    threat_logits: torch.Tensor | None = None
    stance_logits: torch.Tensor | None = None


class SecnewsModel(PreTrainedModel):
    """Encoder + mean pooling + a sigmoid threat head (BCE) and a softmax stance head (CE)."""

    config_class = SecnewsConfig
    base_model_prefix = "secnews"
    main_input_name = "input_ids"

    def __init__(self, config: SecnewsConfig) -> None:
        super().__init__(config)
        self.encoder = AutoModel.from_config(config.encoder_config())
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.threat_head = nn.Linear(hidden, len(config.threat_labels))
        self.stance_head = nn.Linear(hidden, len(config.stance_labels))
        if config.standardize_pooled:
            self.register_buffer("pooled_mean", torch.zeros(hidden))
            self.register_buffer("pooled_std", torch.ones(hidden))
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if module is self.threat_head or module is self.stance_head:
            nn.init.normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    @classmethod
    def from_encoder(cls, encoder_dir: str, **config_kwargs: Any) -> "SecnewsModel":
        """A new model whose encoder weights come from a local pretrained encoder directory."""
        encoder = AutoModel.from_pretrained(encoder_dir)
        config = SecnewsConfig(encoder=encoder.config.to_dict(), **config_kwargs)
        model = cls(config)
        model.encoder.load_state_dict(encoder.state_dict())
        return model

    def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
             token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Mean of the encoder's token states over the mask (standardised when configured)."""
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        if self.config.standardize_pooled:  # in fp32: the part the heads read is small next to the mean
            pooled = ((pooled.float() - self.pooled_mean.float()) / self.pooled_std.float()).to(hidden.dtype)
        return pooled

    @torch.no_grad()
    def fit_pooled_standardization(self, batches: Any) -> None:
        """Set the standardisation from batches of {"input_ids", "attention_mask"} tensors."""
        if not self.config.standardize_pooled:
            raise ValueError("this model was configured without standardize_pooled")
        self.pooled_mean.zero_()
        self.pooled_std.fill_(1.0)
        was_training = self.training
        self.eval()
        pooled = torch.cat([self.pool(b["input_ids"], b["attention_mask"]).float() for b in batches])
        self.train(was_training)
        self.pooled_mean.copy_(pooled.mean(0))
        self.pooled_std.copy_(pooled.std(0).clamp(min=1e-4))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        threat_labels: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        **_: Any,
    ) -> SecnewsOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        pooled = self.dropout(self.pool(input_ids, attention_mask, token_type_ids))
        threat_logits = self.threat_head(pooled)
        stance_logits = self.stance_head(pooled)
        loss = None
        if threat_labels is not None and stance_labels is not None:
            loss = nn.functional.binary_cross_entropy_with_logits(
                threat_logits, threat_labels.to(threat_logits.dtype)
            ) + nn.functional.cross_entropy(stance_logits, stance_labels.long())
        return SecnewsOutput(loss=loss, threat_logits=threat_logits, stance_logits=stance_logits)


AutoConfig.register(SecnewsConfig.model_type, SecnewsConfig)
AutoModel.register(SecnewsConfig, SecnewsModel)
