"""Named-model mentions: extraction rules, alias resolution, the alias seed, the batch form."""

from __future__ import annotations

import csv

import pyarrow as pa
import pytest

from pipeline.classify.mentions import (ALIASES_PATH, AliasTableError, MentionExtractor, extract_batch,
                                        extract_mentions, get_extractor, read_alias_rows)
from pipeline.classify.mentions_warehouse import result_families
from pipeline.classify.taxonomy import FAMILIES


def kept(title, abstract=None):
    """{model_key: relation} of the kept mentions."""
    return {m.model_key: m.relation for m in extract_mentions(title, abstract)}


def verdicts(text):
    return [(m.model_key, m.relation) for m in get_extractor().scan(text)]


# --- aliases -------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["LLaMA-2-7B", "Llama 2", "llama2", "Llama-2-7b-chat-hf", "LLaMA2-70B",
                                      "Llama-2-13b-hf", "llama-2"])
def test_llama2_spellings_are_one_model(spelling):
    assert get_extractor().model_of(spelling) == "llama-2"


@pytest.mark.parametrize("name,key", [
    ("Qwen2.5-VL-7B-Instruct", "qwen2.5-vl"), ("Qwen2-VL-72B", "qwen2-vl"), ("Qwen2.5-7B", "qwen2.5"),
    ("Qwen3-8B", "qwen3"), ("Llama-3.1-70B-Instruct", "llama-3.1"), ("Llama 3", "llama-3"), ("LLaMA-65B", "llama"),
    ("GPT-4o-mini", "gpt-4o"), ("GPT-4", "gpt-4"), ("GPT-3.5-turbo", "gpt-3.5"), ("Mixtral-8x7B", "mixtral"),
    ("Mistral-7B-Instruct-v0.2", "mistral"), ("DeepSeek-R1", "deepseek-r1"), ("DeepSeek-V3", "deepseek-v3"),
    ("ViT-H/14", "vit"), ("ViT-B/16", "vit"), ("ResNet-50", "resnet"), ("ResNet101", "resnet"), ("YOLOv8", "yolo"),
    ("YOLO11", "yolo"), ("EfficientNet-L2", "efficientnet"), ("EfficientNet-B7", "efficientnet"),
    ("BERT-large + ensemble", "bert"), ("RoBERTa-large", "roberta"), ("Stable Diffusion XL", "sdxl"),
    ("SDXL", "sdxl"), ("Stable Diffusion 3", "sd3"), ("Stable Diffusion 1.5", "stable-diffusion"),
    ("SD 2.1", "stable-diffusion-2"), ("FLUX.1-dev", "flux"), ("SAM2", "sam-2"), ("SAM", "sam"),
    ("Segment Anything", "sam"), ("DINOv2", "dinov2"), ("wav2vec 2.0", "wav2vec-2"), ("Whisper", "whisper"),
    ("Mask R-CNN", "mask-rcnn"), ("U-Net", "u-net"), ("nnU-Net", "u-net"), ("LLaVA-1.5-13B", "llava"),
    ("BLIP-2", "blip-2"), ("SigLIP", "siglip"), ("CLIP ViT-L/14", "clip"), ("Mamba", "mamba"), ("VGGT", "vggt"),
    ("Gemma-2-9b-it", "gemma-2"), ("Phi-3-mini", "phi"), ("Claude 3.5 Sonnet", "claude"), ("DiT-XL/2", "dit"),
])
def test_named_models_resolve(name, key):
    assert get_extractor().model_of(name) == key


@pytest.mark.parametrize("text", ["Llama-5", "GPT-4.7", "Qwen 9", "a video clip", "the same sam", "magnetic flux",
                                  "phi is an angle", "whisper quietly", "ResNets", ""])
def test_unknown_versions_and_ordinary_words_resolve_to_nothing(text):
    assert get_extractor().model_of(text) is None


def test_seed_is_well_formed():
    rows = read_alias_rows()
    extractor = MentionExtractor(rows)  # raises on duplicates, bad match kinds, dangling base models
    assert len(extractor.models) >= 150
    assert {m.family for m in extractor.models.values()} <= set(FAMILIES)
    for need in ("bert", "roberta", "t5", "gpt-2", "gpt-3", "gpt-4", "gpt-4o", "llama", "llama-2", "llama-3",
                 "llama-3.1", "qwen", "qwen2", "qwen2.5", "qwen3", "qwen2-vl", "qwen2.5-vl", "gemma", "mistral",
                 "mixtral", "deepseek-v2", "deepseek-v3", "deepseek-r1", "phi", "claude", "gemini", "clip", "siglip",
                 "blip-2", "llava", "sam", "sam-2", "dinov2", "vit", "swin", "convnext", "resnet", "yolo", "detr",
                 "mask-rcnn", "u-net", "stable-diffusion", "stable-diffusion-2", "sdxl", "sd3", "dit", "flux",
                 "mamba", "vggt", "whisper", "wav2vec-2"):
        assert need in extractor.models, need
    years = [m.release_year for m in extractor.models.values()]
    assert all(y is None or 1990 <= y <= 2026 for y in years)
    assert extractor.ancestors("qwen2-vl") == ["qwen2-vl", "qwen2", "qwen"]


def test_bad_seed_is_a_clear_error(tmp_path):
    rows = read_alias_rows()
    bad = tmp_path / "aliases.csv"
    with open(bad, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerow({**rows[0], "alias": "llama 2", "model_key": "llama-2"})
        w.writerow({**rows[0], "alias": "llama 2", "model_key": "qwen"})
    with pytest.raises(AliasTableError, match="names both"):
        MentionExtractor(read_alias_rows(bad))
    with pytest.raises(AliasTableError, match="not found"):
        read_alias_rows(tmp_path / "missing.csv")
    (tmp_path / "cols.csv").write_text("alias,model_key\nx,y\n")
    with pytest.raises(AliasTableError, match="missing column"):
        read_alias_rows(tmp_path / "cols.csv")
    with pytest.raises(AliasTableError, match="base_model"):
        MentionExtractor([{**rows[0], "base_model": "nope"}])


# --- relations -----------------------------------------------------------------------------------

def test_positive_relations():
    assert kept("We fine-tune LLaMA-2-7B on clinical notes.") == {"llama-2": "fine_tunes"}
    assert kept("Our agent is built on Qwen2.5-VL-7B-Instruct.") == {"qwen2.5-vl": "builds_on"}
    assert kept("A CLIP-based retrieval model") == {"clip": "builds_on"}
    assert kept("We use SigLIP as the vision encoder and Qwen2 as the language model.") == {
        "siglip": "uses", "qwen2": "builds_on"}
    assert kept("Fine-Tuning Qwen2-VL for Chart Question Answering") == {"qwen2-vl": "fine_tunes"}
    assert kept("We adopt a ResNet-50 backbone.") == {"resnet": "builds_on"}
    assert kept("A Mask R-CNN model fine-tuned on aerial images detects roofs.") == {"mask-rcnn": "fine_tunes"}
    assert kept("Our detector extends YOLOv8 with a small-object head.") == {"yolo": "builds_on"}
    assert kept("We distill DeepSeek-R1 reasoning traces into Qwen3-8B.") == {"deepseek-r1": "uses", "qwen3": "uses"}


def test_baselines_and_comparisons_are_not_kept():
    assert kept("Our method outperforms GPT-4o on every task.") == {}
    assert kept("It is competitive with Llama 2 while being smaller.") == {}
    assert kept("Compared with Llama 2, the model is faster.") == {}
    assert kept("We compare against baselines such as LLaVA-1.5 and InternVL2.") == {}
    assert kept("Our encoder is more robust than CLIP.") == {}
    assert kept("It beats a strong GPT-4 baseline.") == {}
    assert kept("We evaluate GPT-4o, Gemini 2.5 Pro and Claude 3.5 Sonnet on the benchmark.") == {}
    assert kept("LLMs such as GPT-4 have shown strong reasoning.") == {}
    assert kept("Inspired by the success of CLIP, we study zero-shot retrieval.") == {}
    assert kept("Existing methods rely on backbones such as ResNet.") == {}


def test_nearest_cue_decides_within_a_sentence():
    # The fine-tuned model counts; the model it is compared with does not.
    assert kept("We fine-tune Llama 3 and show it outperforms GPT-4o and Claude.") == {"llama-3": "fine_tunes"}
    # An ownership cue after a comparison cue restores the paper's own model.
    assert kept("Compared with CLIP, our model built on SigLIP is faster.") == {"siglip": "builds_on"}
    # The cue of one sentence does not reach into the next.
    assert kept("We fine-tune a small model. GPT-4o is a strong system.") == {}


def test_bare_mentions_are_not_kept_but_are_scanned():
    assert kept("Llama 2 and Mistral") == {}
    assert verdicts("Llama 2 and Mistral") == [("llama-2", None), ("mistral", None)]


def test_best_mention_per_model_and_evidence_span():
    ms = extract_mentions("Adapting Stable Diffusion XL", "We build on SDXL. Unlike SDXL, our sampler is fast.")
    assert [m.model_key for m in ms] == ["sdxl"]
    m = ms[0]
    assert m.relation == "fine_tunes" and m.in_title and m.evidence_span == "Adapting Stable Diffusion XL"
    ms = extract_mentions(None, "First sentence. Our detector is based on DETR; it is fast.")
    assert ms[0].evidence_span == "Our detector is based on DETR;" and 0 < ms[0].confidence < 1
    assert ms[0].mention_text == "DETR"


@pytest.mark.parametrize("text", ["", "\x00\x01 title", "$\\mathcal{O}(n)$ " * 2000, "多模态大模型 Qwen2-VL 微调",
                                  "x" * 1_000_000, "GPT-4" * 10_000])
def test_bad_input_never_crashes(text):
    assert isinstance(extract_mentions(text, text), list)


def test_batch_form_is_one_row_per_paper_and_model():
    batch = pa.record_batch([pa.array(["p1", "p2", "p3"]), pa.array(["Fine-tuning Llama 2", None, "Nothing"]),
                             pa.array(["We fine-tune llama2-7b and Llama-2-13B-chat with LoRA.",
                                       "Built on CLIP; outperforms SAM.", None])],
                            names=["paper_id", "title", "abstract"])
    out = extract_batch(batch).to_pylist()
    assert [(r["paper_id"], r["model_key"], r["relation"]) for r in out] == [
        ("p1", "llama-2", "fine_tunes"), ("p2", "clip", "builds_on")]
    assert out[0]["in_title"] is True


# --- leaderboard model names ---------------------------------------------------------------------

@pytest.mark.parametrize("model_name,family", [
    ("EfficientNet-L2", "cnn"), ("BERT-large + ensemble", "transformer"), ("ViT-H/14", "transformer"),
    ("ResNet-152", "cnn"), ("Mamba-2.8B", "ssm"), ("LSTM + attention", "rnn"), ("XLNet (single model)", "transformer"),
])
def test_leaderboard_model_names_get_a_family(model_name, family):
    assert result_families(model_name, None)[1] == family


def test_leaderboard_title_family_and_abstention():
    key, name_family, title_family = result_families("Ours (single)", "Deep Residual Networks with Convolutional Layers")
    assert key is None and name_family is None and title_family == "cnn"
    assert result_families(None, None) == (None, None, None)


def test_alias_seed_path_is_the_repo_seed():
    assert ALIASES_PATH.name == "model_aliases.csv" and ALIASES_PATH.parent.name == "seeds"
