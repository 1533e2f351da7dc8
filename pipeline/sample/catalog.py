"""Static knowledge the sample generator draws on: families, domains, planted share curves,
a PwC-style method taxonomy with real method and collection names, tasks and benchmarks.

Everything here is plain data so that the planted truth is readable in one place.
"""

from __future__ import annotations

FAMILIES = ("transformer", "cnn", "rnn", "gnn", "mlp", "diffusion", "gan", "vae", "flow", "ssm",
            "tree_ensemble", "kernel", "probabilistic", "shallow_embedding", "symbolic", "linear",
            "evolutionary", "other")
DOMAINS = ("nlp", "vision", "speech_audio", "graphs", "rl_robotics", "time_series",
           "tabular_classic", "bio_medicine", "general_ml")
FIRST_YEAR, LAST_YEAR = 2012, 2025
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

# Share of ML papers per domain (the same in every year; growth is field-wide).
DOMAIN_WEIGHTS = {"nlp": 0.19, "vision": 0.22, "speech_audio": 0.09, "graphs": 0.09, "rl_robotics": 0.08,
                  "time_series": 0.06, "tabular_classic": 0.07, "bio_medicine": 0.07, "general_ml": 0.13}

# Primary categories per domain (weights) and the usual cross-lists. graphs (cs.SI) and
# bio_medicine (q-bio.*) always cross-list cs.LG, because the ML rule needs it for those archives.
PRIMARY_CATEGORIES = {
    "nlp": (("cs.CL", 1.0),),
    "vision": (("cs.CV", 0.88), ("eess.IV", 0.12)),
    "speech_audio": (("cs.SD", 0.6), ("eess.AS", 0.4)),
    "graphs": (("cs.SI", 1.0),),
    "rl_robotics": (("cs.RO", 1.0),),
    "time_series": (("eess.SP", 1.0),),
    "tabular_classic": (("stat.ML", 0.8), ("stat.ME", 0.12), ("stat.CO", 0.08)),
    "bio_medicine": (("q-bio.QM", 0.45), ("q-bio.BM", 0.25), ("q-bio.NC", 0.15), ("physics.med-ph", 0.15)),
    "general_ml": (("cs.LG", 0.72), ("cs.AI", 0.12), ("cs.NE", 0.08), ("cs.IR", 0.08)),
}
CROSS_LISTS = {
    "nlp": ("cs.LG", "cs.AI", "cs.IR"), "vision": ("cs.LG", "eess.IV", "cs.AI"),
    "speech_audio": ("cs.LG", "eess.AS", "cs.CL"), "graphs": ("cs.LG", "stat.ML", "physics.soc-ph"),
    "rl_robotics": ("cs.LG", "cs.AI", "cs.SY"), "time_series": ("cs.LG", "stat.ML", "stat.AP"),
    "tabular_classic": ("cs.LG", "stat.ME", "stat.CO"), "bio_medicine": ("cs.LG", "stat.ML", "q-bio.GN"),
    "general_ml": ("stat.ML", "cs.AI", "cs.NE"),
}
# Share of rl_robotics papers whose primary is cs.LG; those always get PwC RL tasks, so the
# warehouse's "general_ml + PwC area" rule is exercised.
RL_PRIMARY_LG_SHARE = 0.3
NON_ML_CATEGORIES = (
    "math.OC math.NA", "hep-th", "cs.DS cs.CC", "quant-ph", "math.PR", "astro-ph.CO",
    "cond-mat.stat-mech", "cs.SI physics.soc-ph", "q-bio.PE", "math.CO cs.DM", "cs.CR", "econ.EM",
)

# Planted family weights per domain at anchor years, linearly interpolated in between and
# normalised per year. Columns follow ANCHOR_YEARS.
ANCHOR_YEARS = (2012, 2015, 2017, 2019, 2021, 2023, 2025)
SHARE_ANCHORS = {
    "nlp": {
        "rnn": (.30, .45, .45, .14, .05, .03, .02), "transformer": (0, 0, .04, .85, .95, .98, 1.0),
        "cnn": (.10, .18, .15, .06, .04, .02, .02), "shallow_embedding": (.20, .20, .14, .05, .02, .01, .01),
        "probabilistic": (.25, .10, .06, .03, .02, .01, .01), "linear": (.10, .04, .03, .02, .01, .01, .01),
        "kernel": (.10, .04, .02, .01, .01, 0, 0), "gnn": (0, 0, .03, .04, .04, .03, .02),
        "vae": (0, .02, .04, .03, .02, .01, .01), "gan": (0, 0, .03, .02, .01, 0, 0),
        "diffusion": (0, 0, 0, 0, .01, .02, .02), "ssm": (0, 0, 0, 0, 0, .02, .04),
        "mlp": (.03, .03, .02, .02, .02, .01, .01), "symbolic": (.04, .02, .02, .01, .01, .01, .01),
    },
    "vision": {
        "cnn": (.45, .65, .70, .62, .40, .14, .10), "transformer": (0, 0, 0, .03, .22, .85, 1.0),
        "gan": (0, .03, .10, .14, .10, .05, .03), "diffusion": (0, 0, 0, 0, .04, .12, .14),
        "kernel": (.20, .08, .03, .02, .01, 0, 0), "probabilistic": (.12, .05, .03, .02, .01, .01, .01),
        "mlp": (.05, .04, .03, .03, .06, .04, .04), "vae": (0, .03, .04, .04, .03, .02, .02),
        "flow": (0, 0, .02, .03, .02, .01, .01), "tree_ensemble": (.08, .03, .01, .01, 0, 0, 0),
        "linear": (.05, .02, .01, .01, .01, 0, 0), "ssm": (0, 0, 0, 0, 0, .02, .05),
        "gnn": (0, 0, .01, .03, .03, .02, .02), "rnn": (.02, .05, .05, .03, .01, .01, 0),
        "evolutionary": (.03, .02, .02, .02, .01, 0, 0),
    },
    "speech_audio": {
        "rnn": (.20, .45, .50, .34, .08, .04, .03), "cnn": (.15, .20, .25, .25, .14, .10, .08),
        "transformer": (0, 0, .02, .10, .95, 1.0, 1.0), "probabilistic": (.45, .20, .10, .05, .03, .02, .01),
        "kernel": (.10, .05, .02, .01, 0, 0, 0), "gan": (0, 0, .03, .06, .05, .03, .02),
        "diffusion": (0, 0, 0, 0, .03, .06, .07), "vae": (0, .02, .03, .03, .02, .02, .02),
        "flow": (0, 0, .01, .03, .02, .01, .01), "linear": (.05, .03, .02, .01, .01, 0, 0),
        "ssm": (0, 0, 0, 0, 0, .02, .04), "mlp": (.05, .05, .03, .02, .02, .01, .01),
    },
    "graphs": {
        "gnn": (0, .02, .12, 1.0, 1.0, .95, .90), "shallow_embedding": (.15, .45, .40, .12, .05, .04, .03),
        "probabilistic": (.40, .25, .15, .06, .04, .04, .03), "linear": (.15, .08, .05, .02, .02, .01, .01),
        "kernel": (.15, .10, .06, .03, .02, .01, .01), "transformer": (0, 0, 0, .02, .08, .15, .22),
        "mlp": (.05, .04, .04, .04, .04, .04, .04), "symbolic": (.05, .04, .03, .02, .02, .02, .02),
        "vae": (0, 0, .02, .03, .02, .01, .01), "diffusion": (0, 0, 0, 0, .01, .03, .04),
    },
    "rl_robotics": {
        "mlp": (.25, .35, .40, .38, .32, .28, .25), "cnn": (.05, .20, .25, .22, .15, .10, .08),
        "rnn": (.03, .05, .10, .10, .06, .04, .03), "transformer": (0, 0, 0, .02, .10, .22, .30),
        "probabilistic": (.30, .18, .10, .08, .06, .05, .04), "kernel": (.15, .10, .05, .04, .03, .02, .02),
        "evolutionary": (.10, .08, .07, .06, .05, .04, .04), "linear": (.12, .06, .03, .02, .02, .02, .02),
        "diffusion": (0, 0, 0, 0, .02, .08, .12), "vae": (0, 0, .02, .03, .03, .02, .02),
        "ssm": (0, 0, 0, 0, 0, .01, .02), "symbolic": (.05, .03, .02, .02, .02, .02, .02),
    },
    "time_series": {
        "rnn": (.10, .25, .40, .40, .25, .15, .10), "probabilistic": (.35, .25, .15, .10, .07, .05, .04),
        "linear": (.20, .12, .08, .05, .04, .04, .05), "kernel": (.15, .10, .05, .03, .02, .01, .01),
        "cnn": (.02, .05, .10, .15, .15, .10, .08), "transformer": (0, 0, 0, .05, .20, .30, .33),
        "tree_ensemble": (.10, .10, .08, .07, .06, .05, .05), "mlp": (.05, .05, .05, .05, .06, .08, .08),
        "ssm": (0, 0, 0, 0, 0, .05, .08), "gnn": (0, 0, .01, .03, .05, .04, .03),
    },
    "tabular_classic": {
        "tree_ensemble": (.20, .22, .24, .26, .25, .24, .23), "kernel": (.25, .20, .15, .10, .08, .06, .05),
        "probabilistic": (.25, .25, .22, .20, .18, .16, .15), "linear": (.20, .15, .12, .10, .08, .07, .06),
        "mlp": (.03, .05, .08, .10, .12, .12, .12), "transformer": (0, 0, 0, .01, .05, .10, .14),
        "symbolic": (.02, .02, .02, .02, .02, .02, .02), "evolutionary": (.03, .03, .03, .03, .02, .02, .02),
        "vae": (0, 0, .02, .03, .03, .02, .02), "flow": (0, 0, .01, .02, .02, .02, .01),
        "diffusion": (0, 0, 0, 0, .01, .02, .03),
    },
    "bio_medicine": {
        "cnn": (.10, .30, .40, .40, .32, .25, .20), "probabilistic": (.30, .20, .12, .08, .06, .05, .05),
        "kernel": (.20, .12, .07, .04, .03, .02, .02), "tree_ensemble": (.20, .15, .10, .08, .07, .06, .05),
        "linear": (.15, .10, .06, .04, .03, .03, .03), "rnn": (0, .05, .10, .08, .05, .03, .02),
        "transformer": (0, 0, 0, .05, .20, .30, .34), "gnn": (0, 0, .02, .06, .08, .08, .07),
        "diffusion": (0, 0, 0, 0, .02, .06, .08), "vae": (0, .02, .04, .04, .03, .02, .02),
        "mlp": (.05, .05, .05, .04, .04, .03, .03), "ssm": (0, 0, 0, 0, 0, .01, .03),
        "evolutionary": (.03, .02, .02, .01, .01, .01, .01),
    },
    "general_ml": {
        "mlp": (.15, .20, .20, .18, .15, .12, .10), "kernel": (.25, .15, .10, .06, .04, .03, .02),
        "probabilistic": (.25, .20, .15, .12, .10, .08, .07), "linear": (.15, .10, .07, .05, .04, .03, .03),
        "cnn": (.03, .12, .15, .14, .10, .07, .05), "rnn": (.02, .06, .08, .06, .03, .02, .01),
        "transformer": (0, 0, .01, .08, .22, .38, .45), "gan": (0, .02, .06, .07, .05, .02, .02),
        "vae": (0, .04, .05, .05, .04, .03, .02), "flow": (0, .01, .03, .04, .03, .02, .01),
        "diffusion": (0, 0, 0, 0, .03, .08, .10), "ssm": (0, 0, 0, 0, 0, .03, .06),
        "gnn": (0, 0, .02, .04, .05, .04, .04), "tree_ensemble": (.07, .05, .04, .04, .03, .03, .03),
        "evolutionary": (.05, .04, .03, .03, .02, .02, .02), "symbolic": (.03, .02, .02, .02, .02, .02, .02),
        "shallow_embedding": (0, .02, .02, .01, .01, 0, 0),
    },
}

_A = {"cv": ("computer-vision", "Computer Vision"), "nlp": ("natural-language-processing", "Natural Language Processing"),
      "gen": ("general", "General"), "seq": ("sequential", "Sequential"), "graphs": ("graphs", "Graphs"),
      "audio": ("audio", "Audio"), "rl": ("reinforcement-learning", "Reinforcement Learning")}


def _c(name: str, area: str) -> tuple[str, str, str]:
    return (name, *_A[area])


# Architecture methods: name, full_name, family, collections, intro (YYYY, MM), introducing arXiv
# id (None: not on arXiv; "-": PwC gives paper: null), introducing title, parents (methods it
# builds on, named in its description), domains where papers use it, foundation flag.
METHODS = [
    ("Transformer", "Transformer", "transformer", [_c("Transformers", "nlp"), _c("Autoregressive Transformers", "nlp")], (2017, 6), "1706.03762", "Attention Is All You Need", [], "nlp vision speech_audio graphs rl_robotics time_series tabular_classic bio_medicine general_ml", True),
    ("BERT", "BERT", "transformer", [_c("Autoencoding Transformers", "nlp"), _c("Transformers", "nlp"), _c("Language Models", "nlp")], (2018, 10), "1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", ["Transformer"], "nlp bio_medicine general_ml", True),
    ("GPT", "GPT", "transformer", [_c("Autoregressive Transformers", "nlp"), _c("Transformers", "nlp")], (2018, 6), None, "Improving Language Understanding by Generative Pre-Training", ["Transformer"], "nlp", False),
    ("GPT-2", "GPT-2", "transformer", [_c("Autoregressive Transformers", "nlp"), _c("Transformers", "nlp")], (2019, 2), None, "Language Models are Unsupervised Multitask Learners", ["GPT"], "nlp general_ml", True),
    ("RoBERTa", "RoBERTa", "transformer", [_c("Autoencoding Transformers", "nlp"), _c("Transformers", "nlp")], (2019, 7), "1907.11692", "RoBERTa: A Robustly Optimized BERT Pretraining Approach", ["BERT"], "nlp", False),
    ("T5", "T5", "transformer", [_c("Transformers", "nlp"), _c("Sequence To Sequence Models", "seq")], (2019, 10), "1910.10683", "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer", ["Transformer"], "nlp", False),
    ("LLaMA", "LLaMA", "transformer", [_c("Language Models", "nlp"), _c("Transformers", "nlp")], (2023, 2), "2302.13971", "LLaMA: Open and Efficient Foundation Language Models", ["GPT-2", "Transformer"], "nlp general_ml bio_medicine", True),
    ("ViT", "Vision Transformer", "transformer", [_c("Vision Transformers", "cv"), _c("Image Models", "cv")], (2020, 10), "2010.11929", "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", ["Transformer"], "vision bio_medicine rl_robotics", True),
    ("Swin Transformer", "Swin Transformer", "transformer", [_c("Vision Transformers", "cv"), _c("Image Models", "cv")], (2021, 3), "2103.14030", "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", ["ViT"], "vision bio_medicine", False),
    ("DETR", "Detection Transformer", "transformer", [_c("Object Detection Models", "cv"), _c("Vision Transformers", "cv")], (2020, 5), "2005.12872", "End-to-End Object Detection with Transformers", ["Transformer", "ResNet"], "vision", False),
    ("CLIP", "Contrastive Language-Image Pre-training", "transformer", [_c("Vision and Language Pre-Trained Models", "cv")], (2021, 2), "2103.00020", "Learning Transferable Visual Models From Natural Language Supervision", ["ViT", "Transformer"], "vision nlp", True),
    ("wav2vec 2.0", "wav2vec 2.0", "transformer", [_c("Speech Recognition Models", "audio"), _c("Transformers", "nlp")], (2020, 6), "2006.11477", "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech Representations", ["Transformer"], "speech_audio", False),
    ("Conformer", "Conformer", "transformer", [_c("Speech Recognition Models", "audio"), _c("Transformers", "nlp")], (2020, 5), "2005.08100", "Conformer: Convolution-augmented Transformer for Speech Recognition", ["Transformer"], "speech_audio", False),
    ("Whisper", "Whisper", "transformer", [_c("Speech Recognition Models", "audio"), _c("Transformers", "nlp")], (2022, 12), "2212.04356", "Robust Speech Recognition via Large-Scale Weak Supervision", ["Transformer"], "speech_audio", False),
    ("Graph Transformer", "Graph Transformer", "transformer", [_c("Graph Models", "graphs"), _c("Transformers", "nlp")], (2020, 12), "2012.09699", "A Generalization of Transformer Networks to Graphs", ["Transformer", "GAT"], "graphs bio_medicine", False),
    ("Decision Transformer", "Decision Transformer", "transformer", [_c("Offline Reinforcement Learning Methods", "rl"), _c("Transformers", "nlp")], (2021, 6), "2106.01345", "Decision Transformer: Reinforcement Learning via Sequence Modeling", ["GPT-2"], "rl_robotics", False),
    ("Informer", "Informer", "transformer", [_c("Time Series Models", "seq"), _c("Transformers", "nlp")], (2020, 12), "2012.07436", "Informer: Beyond Efficient Transformer for Long Sequence Time-Series Forecasting", ["Transformer"], "time_series", False),
    ("PatchTST", "PatchTST", "transformer", [_c("Time Series Models", "seq"), _c("Transformers", "nlp")], (2022, 11), "2211.14730", "A Time Series is Worth 64 Words: Long-term Forecasting with Transformers", ["Informer", "ViT"], "time_series", False),
    ("TabTransformer", "TabTransformer", "transformer", [_c("Deep Tabular Learning", "gen"), _c("Transformers", "nlp")], (2020, 12), "2012.06678", "TabTransformer: Tabular Data Modeling Using Contextual Embeddings", ["Transformer"], "tabular_classic", False),
    ("Linformer", "Linformer", "transformer", [_c("Transformers", "nlp")], (2020, 6), "2006.04768", "Linformer: Self-Attention with Linear Complexity", ["Transformer", "Synthesizer"], "nlp", False),
    ("Synthesizer", "Synthesizer", "transformer", [_c("Transformers", "nlp")], (2020, 5), "2005.00743", "Synthesizer: Rethinking Self-Attention in Transformer Models", ["Transformer", "Linformer"], "nlp", False),
    ("AlexNet", "AlexNet", "cnn", [_c("Convolutional Neural Networks", "cv")], (2012, 12), None, "ImageNet Classification with Deep Convolutional Neural Networks", [], "vision", False),
    ("VGG", "VGG", "cnn", [_c("Convolutional Neural Networks", "cv")], (2014, 9), "1409.1556", "Very Deep Convolutional Networks for Large-Scale Image Recognition", ["AlexNet"], "vision bio_medicine", False),
    ("Inception-v3", "Inception-v3", "cnn", [_c("Convolutional Neural Networks", "cv")], (2015, 12), "1512.00567", "Rethinking the Inception Architecture for Computer Vision", ["AlexNet"], "vision", False),
    ("ResNet", "Residual Network", "cnn", [_c("Convolutional Neural Networks", "cv")], (2015, 12), "1512.03385", "Deep Residual Learning for Image Recognition", ["VGG"], "vision bio_medicine rl_robotics speech_audio general_ml", True),
    ("U-Net", "U-Net", "cnn", [_c("Semantic Segmentation Models", "cv")], (2015, 5), "1505.04597", "U-Net: Convolutional Networks for Biomedical Image Segmentation", [], "vision bio_medicine", True),
    ("YOLO", "You Only Look Once", "cnn", [_c("Object Detection Models", "cv"), _c("One-Stage Object Detection Models", "cv")], (2015, 6), "1506.02640", "You Only Look Once: Unified, Real-Time Object Detection", [], "vision rl_robotics", False),
    ("Faster R-CNN", "Faster R-CNN", "cnn", [_c("Object Detection Models", "cv")], (2015, 6), "1506.01497", "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks", ["VGG"], "vision", False),
    ("Mask R-CNN", "Mask R-CNN", "cnn", [_c("Object Detection Models", "cv"), _c("Instance Segmentation Models", "cv")], (2017, 3), "1703.06870", "Mask R-CNN", ["Faster R-CNN", "ResNet"], "vision bio_medicine", False),
    ("DenseNet", "DenseNet", "cnn", [_c("Convolutional Neural Networks", "cv")], (2016, 8), "1608.06993", "Densely Connected Convolutional Networks", ["ResNet"], "vision bio_medicine", False),
    ("EfficientNet", "EfficientNet", "cnn", [_c("Convolutional Neural Networks", "cv"), _c("Image Models", "cv")], (2019, 5), "1905.11946", "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", ["ResNet"], "vision", False),
    ("ConvNeXt", "ConvNeXt", "cnn", [_c("Convolutional Neural Networks", "cv")], (2022, 1), "2201.03545", "A ConvNet for the 2020s", ["ResNet", "Swin Transformer"], "vision", False),
    ("WaveNet", "WaveNet", "cnn", [_c("Generative Audio Models", "audio")], (2016, 9), "1609.03499", "WaveNet: A Generative Model for Raw Audio", [], "speech_audio", False),
    ("TCN", "Temporal Convolutional Network", "cnn", [_c("Temporal Convolutions", "seq")], (2018, 3), "1803.01271", "An Empirical Evaluation of Generic Convolutional and Recurrent Networks for Sequence Modeling", ["WaveNet"], "time_series speech_audio", False),
    ("TextCNN", "TextCNN", "cnn", [_c("Convolutional Neural Networks", "cv")], (2014, 8), "1408.5882", "Convolutional Neural Networks for Sentence Classification", [], "nlp", False),
    ("DQN", "Deep Q-Network", "cnn", [_c("Q-Learning Networks", "rl")], (2013, 12), "1312.5602", "Playing Atari with Deep Reinforcement Learning", [], "rl_robotics", False),
    ("LSTM", "Long Short-Term Memory", "rnn", [_c("Recurrent Neural Networks", "seq")], (1997, 11), "-", "", [], "nlp speech_audio time_series rl_robotics bio_medicine general_ml", True),
    ("GRU", "Gated Recurrent Unit", "rnn", [_c("Recurrent Neural Networks", "seq")], (2014, 6), "1406.1078", "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine Translation", ["LSTM"], "nlp speech_audio time_series", False),
    ("Seq2Seq", "Sequence to Sequence", "rnn", [_c("Sequence To Sequence Models", "seq")], (2014, 9), "1409.3215", "Sequence to Sequence Learning with Neural Networks", ["LSTM"], "nlp speech_audio", False),
    ("ELMo", "ELMo", "rnn", [_c("Language Models", "nlp"), _c("Contextualized Word Embeddings", "nlp"), _c("Word Embeddings", "nlp")], (2018, 2), "1802.05365", "Deep contextualized word representations", ["LSTM"], "nlp", False),
    ("Tacotron", "Tacotron", "rnn", [_c("Text-to-Speech Models", "audio"), _c("Sequence To Sequence Models", "seq")], (2017, 3), "1703.10135", "Tacotron: Towards End-to-End Speech Synthesis", ["Seq2Seq"], "speech_audio", False),
    ("DeepAR", "DeepAR", "rnn", [_c("Time Series Models", "seq"), _c("Recurrent Neural Networks", "seq")], (2017, 4), "1704.04110", "DeepAR: Probabilistic Forecasting with Autoregressive Recurrent Networks", ["LSTM"], "time_series", False),
    ("GCN", "Graph Convolutional Network", "gnn", [_c("Graph Models", "graphs")], (2016, 9), "1609.02907", "Semi-Supervised Classification with Graph Convolutional Networks", [], "graphs bio_medicine nlp general_ml", True),
    ("GAT", "Graph Attention Network", "gnn", [_c("Graph Models", "graphs")], (2017, 10), "1710.10903", "Graph Attention Networks", ["GCN"], "graphs bio_medicine", False),
    ("GraphSAGE", "GraphSAGE", "gnn", [_c("Graph Models", "graphs")], (2017, 6), "1706.02216", "Inductive Representation Learning on Large Graphs", ["GCN"], "graphs", False),
    ("GIN", "Graph Isomorphism Network", "gnn", [_c("Graph Models", "graphs")], (2018, 10), "1810.00826", "How Powerful are Graph Neural Networks?", ["GCN", "GraphSAGE"], "graphs bio_medicine", False),
    ("MPNN", "Message Passing Neural Network", "gnn", [_c("Graph Models", "graphs")], (2017, 4), "1704.01212", "Neural Message Passing for Quantum Chemistry", ["GCN"], "graphs bio_medicine", False),
    ("MLP", "Multilayer Perceptron", "mlp", [_c("Feedforward Networks", "gen")], (1986, 1), "-", "", [], "rl_robotics tabular_classic general_ml time_series vision", False),
    ("MLP-Mixer", "MLP-Mixer", "mlp", [_c("Image Models", "cv")], (2021, 5), "2105.01601", "MLP-Mixer: An all-MLP Architecture for Vision", ["ViT"], "vision", False),
    ("NeRF", "Neural Radiance Field", "mlp", [_c("3D Representations", "cv")], (2020, 3), "2003.08934", "NeRF: Representing Scenes as Neural Radiance Fields for View Synthesis", ["MLP"], "vision", False),
    ("PPO", "Proximal Policy Optimization", "mlp", [_c("Policy Gradient Methods", "rl")], (2017, 7), "1707.06347", "Proximal Policy Optimization Algorithms", ["MLP"], "rl_robotics", False),
    ("DDPM", "Denoising Diffusion Probabilistic Models", "diffusion", [_c("Diffusion Models", "cv"), _c("Generative Models", "cv")], (2020, 6), "2006.11239", "Denoising Diffusion Probabilistic Models", ["U-Net"], "vision speech_audio general_ml bio_medicine rl_robotics", True),
    ("DDIM", "Denoising Diffusion Implicit Models", "diffusion", [_c("Diffusion Models", "cv")], (2020, 10), "2010.02502", "Denoising Diffusion Implicit Models", ["DDPM"], "vision general_ml", False),
    ("Stable Diffusion", "Latent Diffusion Model", "diffusion", [_c("Diffusion Models", "cv"), _c("Generative Models", "cv")], (2021, 12), "2112.10752", "High-Resolution Image Synthesis with Latent Diffusion Models", ["DDPM", "U-Net", "VAE"], "vision", True),
    ("DiffWave", "DiffWave", "diffusion", [_c("Generative Audio Models", "audio"), _c("Diffusion Models", "cv")], (2020, 9), "2009.09761", "DiffWave: A Versatile Diffusion Model for Audio Synthesis", ["DDPM", "WaveNet"], "speech_audio", False),
    ("GAN", "Generative Adversarial Network", "gan", [_c("Generative Adversarial Networks", "cv"), _c("Generative Models", "cv")], (2014, 6), "1406.2661", "Generative Adversarial Networks", [], "vision speech_audio general_ml nlp bio_medicine", True),
    ("DCGAN", "Deep Convolutional GAN", "gan", [_c("Generative Adversarial Networks", "cv"), _c("Generative Models", "cv")], (2015, 11), "1511.06434", "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks", ["GAN"], "vision", False),
    ("WGAN", "Wasserstein GAN", "gan", [_c("Generative Adversarial Networks", "cv")], (2017, 1), "1701.07875", "Wasserstein GAN", ["GAN"], "vision general_ml", False),
    ("CycleGAN", "CycleGAN", "gan", [_c("Generative Adversarial Networks", "cv"), _c("Generative Models", "cv")], (2017, 3), "1703.10593", "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ["GAN"], "vision bio_medicine", False),
    ("StyleGAN", "StyleGAN", "gan", [_c("Generative Adversarial Networks", "cv"), _c("Generative Models", "cv")], (2018, 12), "1812.04948", "A Style-Based Generator Architecture for Generative Adversarial Networks", ["DCGAN"], "vision", False),
    ("HiFi-GAN", "HiFi-GAN", "gan", [_c("Generative Audio Models", "audio"), _c("Generative Adversarial Networks", "cv")], (2020, 10), "2010.05646", "HiFi-GAN: Generative Adversarial Networks for Efficient and High Fidelity Speech Synthesis", ["GAN"], "speech_audio", False),
    ("VAE", "Variational Autoencoder", "vae", [_c("Likelihood-Based Generative Models", "cv"), _c("Generative Models", "cv")], (2013, 12), "1312.6114", "Auto-Encoding Variational Bayes", [], "vision general_ml bio_medicine nlp speech_audio tabular_classic rl_robotics graphs", True),
    ("VQ-VAE", "VQ-VAE", "vae", [_c("Likelihood-Based Generative Models", "cv"), _c("Generative Models", "cv")], (2017, 11), "1711.00937", "Neural Discrete Representation Learning", ["VAE"], "vision speech_audio", False),
    ("beta-VAE", "beta-VAE", "vae", [_c("Likelihood-Based Generative Models", "cv")], (2017, 4), None, "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework", ["VAE"], "general_ml", False),
    ("NICE", "Non-linear Independent Components Estimation", "flow", [_c("Normalizing Flows", "gen"), _c("Likelihood-Based Generative Models", "cv")], (2014, 10), "1410.8516", "NICE: Non-linear Independent Components Estimation", [], "general_ml vision", False),
    ("Normalizing Flows", "Normalizing Flows", "flow", [_c("Distribution Approximation", "gen"), _c("Normalizing Flows", "gen")], (2015, 5), "1505.05770", "Variational Inference with Normalizing Flows", [], "general_ml tabular_classic", False),
    ("RealNVP", "RealNVP", "flow", [_c("Normalizing Flows", "gen"), _c("Generative Models", "cv")], (2016, 5), "1605.08803", "Density estimation using Real NVP", ["NICE"], "vision general_ml speech_audio tabular_classic", False),
    ("Glow", "Glow", "flow", [_c("Normalizing Flows", "gen"), _c("Generative Models", "cv")], (2018, 7), "1807.03039", "Glow: Generative Flow with Invertible 1x1 Convolutions", ["RealNVP"], "vision speech_audio", False),
    ("S4", "Structured State Space sequence model", "ssm", [_c("State Space Models", "seq")], (2021, 10), "2111.00396", "Efficiently Modeling Long Sequences with Structured State Spaces", [], "time_series speech_audio general_ml nlp", False),
    ("Mamba", "Mamba", "ssm", [_c("State Space Models", "seq")], (2023, 12), "2312.00752", "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", ["S4"], "nlp vision time_series general_ml bio_medicine speech_audio rl_robotics", True),
    ("Vision Mamba", "Vision Mamba", "ssm", [_c("State Space Models", "seq"), _c("Image Models", "cv")], (2024, 1), "2401.09417", "Vision Mamba: Efficient Visual Representation Learning with Bidirectional State Space Model", ["Mamba", "ViT"], "vision bio_medicine", False),
    ("XGBoost", "XGBoost", "tree_ensemble", [_c("Tree Ensembles", "gen")], (2016, 3), "1603.02754", "XGBoost: A Scalable Tree Boosting System", ["Gradient Boosting"], "tabular_classic time_series bio_medicine general_ml", False),
    ("Random Forest", "Random Forest", "tree_ensemble", [_c("Tree Ensembles", "gen")], (2001, 1), "-", "", [], "tabular_classic bio_medicine vision time_series general_ml", False),
    ("Gradient Boosting", "Gradient Boosting Machine", "tree_ensemble", [_c("Tree Ensembles", "gen")], (2001, 1), "-", "", [], "tabular_classic", False),
    ("LightGBM", "LightGBM", "tree_ensemble", [_c("Tree Ensembles", "gen")], (2017, 12), None, "LightGBM: A Highly Efficient Gradient Boosting Decision Tree", ["XGBoost"], "tabular_classic time_series", False),
    ("CatBoost", "CatBoost", "tree_ensemble", [_c("Tree Ensembles", "gen")], (2017, 6), "1706.09516", "CatBoost: unbiased boosting with categorical features", ["Gradient Boosting"], "tabular_classic", False),
    ("SVM", "Support Vector Machine", "kernel", [_c("Non-Parametric Classification", "gen"), _c("Non-Parametric Regression", "gen")], (1995, 1), "-", "", [], "tabular_classic vision nlp bio_medicine general_ml speech_audio graphs time_series", False),
    ("Gaussian Process", "Gaussian Process", "kernel", [_c("Non-Parametric Regression", "gen"), _c("Non-Parametric Classification", "gen")], (2006, 1), "-", "", [], "tabular_classic rl_robotics time_series general_ml", False),
    ("Random Fourier Features", "Random Fourier Features", "kernel", [_c("Kernel Methods", "gen")], (2007, 12), None, "Random Features for Large-Scale Kernel Machines", ["SVM"], "general_ml tabular_classic", False),
    ("HMM", "Hidden Markov Model", "probabilistic", [_c("Probabilistic Graphical Models", "gen")], (1989, 1), "-", "", [], "speech_audio time_series nlp bio_medicine", False),
    ("CRF", "Conditional Random Field", "probabilistic", [_c("Structured Prediction", "gen")], (2001, 6), "-", "", [], "nlp vision", False),
    ("LDA", "Latent Dirichlet Allocation", "probabilistic", [_c("Topic Models", "nlp")], (2003, 1), "-", "", [], "nlp general_ml graphs", False),
    ("Bayesian Network", "Bayesian Network", "probabilistic", [_c("Probabilistic Graphical Models", "gen")], (1988, 1), "-", "", [], "tabular_classic general_ml bio_medicine rl_robotics graphs", False),
    ("Word2Vec", "Word2Vec", "shallow_embedding", [_c("Static Word Embeddings", "nlp"), _c("Word Embeddings", "nlp")], (2013, 1), "1301.3781", "Efficient Estimation of Word Representations in Vector Space", [], "nlp general_ml", True),
    ("GloVe", "GloVe Embeddings", "shallow_embedding", [_c("Static Word Embeddings", "nlp"), _c("Word Embeddings", "nlp")], (2014, 10), None, "GloVe: Global Vectors for Word Representation", ["Word2Vec"], "nlp", False),
    ("fastText", "fastText", "shallow_embedding", [_c("Static Word Embeddings", "nlp"), _c("Word Embeddings", "nlp")], (2016, 7), "1607.04606", "Enriching Word Vectors with Subword Information", ["Word2Vec"], "nlp", False),
    ("DeepWalk", "DeepWalk", "shallow_embedding", [_c("Graph Embeddings", "graphs")], (2014, 3), "1403.6652", "DeepWalk: Online Learning of Social Representations", ["Word2Vec"], "graphs", False),
    ("node2vec", "node2vec", "shallow_embedding", [_c("Graph Embeddings", "graphs")], (2016, 7), "1607.00653", "node2vec: Scalable Feature Learning for Networks", ["DeepWalk"], "graphs bio_medicine", False),
    ("ILP", "Inductive Logic Programming", "symbolic", [_c("Rule-based systems", "gen")], (1991, 1), "-", "", [], "general_ml tabular_classic graphs nlp rl_robotics", False),
    ("Logistic Regression", "Logistic Regression", "linear", [_c("Generalized Linear Models", "gen")], (1958, 1), "-", "", [], "tabular_classic nlp bio_medicine general_ml vision rl_robotics graphs speech_audio time_series", False),
    ("LASSO", "Least Absolute Shrinkage and Selection Operator", "linear", [_c("Generalized Linear Models", "gen")], (1996, 1), "-", "", [], "tabular_classic bio_medicine time_series general_ml", False),
    ("Genetic Algorithms", "Genetic Algorithms", "evolutionary", [_c("Heuristic Search Algorithms", "gen")], (1975, 1), "-", "", [], "general_ml rl_robotics tabular_classic vision bio_medicine", False),
    ("CMA-ES", "Covariance Matrix Adaptation Evolution Strategy", "evolutionary", [_c("Heuristic Search Algorithms", "gen")], (2016, 4), "1604.00772", "The CMA Evolution Strategy: A Tutorial", ["Genetic Algorithms"], "rl_robotics general_ml", False),
]

# Generic components that every architecture uses; they belong to no family. The last two have
# no collections (the real "missing areas" quirk).
GENERIC_METHODS = [
    ("Adam", "Adam", [_c("Stochastic Optimization", "gen"), _c("Optimization", "gen")], 2000, "1412.6980", "Adam: A Method for Stochastic Optimization"),
    ("SGD", "Stochastic Gradient Descent", [_c("Stochastic Optimization", "gen")], 1951, "-", ""),
    ("AdamW", "AdamW", [_c("Stochastic Optimization", "gen")], 2000, "1711.05101", "Decoupled Weight Decay Regularization"),
    ("Dropout", "Dropout", [_c("Regularization", "gen")], 2000, None, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting"),
    ("Weight Decay", "Weight Decay", [_c("Regularization", "gen"), _c("Parameter Norm Penalties", "gen")], 1943, "-", ""),
    ("Label Smoothing", "Label Smoothing", [_c("Regularization", "gen")], 1985, "-", ""),
    ("Layer Normalization", "Layer Normalization", [_c("Normalization", "gen")], 2000, "1607.06450", "Layer Normalization"),
    ("Batch Normalization", "Batch Normalization", [_c("Normalization", "gen")], 2000, "1502.03167", "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift"),
    ("ReLU", "Rectified Linear Units", [_c("Activation Functions", "gen")], 2000, "-", ""),
    ("GELU", "Gaussian Error Linear Units", [_c("Activation Functions", "gen")], 2000, "1606.08415", "Gaussian Error Linear Units (GELUs)"),
    ("Softmax", "Softmax", [_c("Output Functions", "gen")], 2000, "-", ""),
    ("Multi-Head Attention", "Multi-Head Attention", [_c("Attention Modules", "gen")], 2000, "1706.03762", "Attention Is All You Need"),
    ("Scaled Dot-Product Attention", "Scaled Dot-Product Attention", [_c("Attention Mechanisms", "gen")], 2000, "1706.03762", "Attention Is All You Need"),
    ("Residual Connection", "Residual Connection", [_c("Skip Connections", "gen")], 2000, "1512.03385", "Deep Residual Learning for Image Recognition"),
    ("Convolution", "Convolution", [_c("Convolutions", "cv")], 1980, "-", ""),
    ("Max Pooling", "Max Pooling", [_c("Pooling Operations", "cv")], 2000, "-", ""),
    ("Cosine Annealing", "Cosine Annealing", [_c("Learning Rate Schedules", "gen")], 2000, "1608.03983", "SGDR: Stochastic Gradient Descent with Warm Restarts"),
    ("BPE", "Byte Pair Encoding", [_c("Subword Segmentation", "nlp")], 2000, "1508.07909", "Neural Machine Translation of Rare Words with Subword Units"),
    ("Mixup", "Mixup", [], 2000, "1710.09412", "mixup: Beyond Empirical Risk Minimization"),
    ("Focal Loss", "Focal Loss", [], 2000, "1708.02002", "Focal Loss for Dense Object Detection"),
]
GENERIC_BY_FAMILY = {
    "transformer": ("Adam", "AdamW", "Layer Normalization", "Multi-Head Attention", "Scaled Dot-Product Attention", "Dropout", "GELU", "BPE", "Softmax", "Residual Connection"),
    "cnn": ("SGD", "Batch Normalization", "ReLU", "Convolution", "Max Pooling", "Residual Connection", "Dropout", "Cosine Annealing", "Mixup", "Focal Loss"),
    "rnn": ("Adam", "Dropout", "Softmax", "Label Smoothing"),
    "gnn": ("Adam", "Dropout", "ReLU", "Softmax"),
    "mlp": ("Adam", "ReLU", "Dropout", "Batch Normalization"),
    "diffusion": ("AdamW", "Layer Normalization", "Convolution", "GELU"),
    "gan": ("Adam", "Batch Normalization", "Convolution", "ReLU"),
    "vae": ("Adam", "Batch Normalization", "ReLU"),
    "flow": ("Adam", "Batch Normalization", "Convolution"),
    "ssm": ("AdamW", "Layer Normalization", "GELU", "Residual Connection"),
}

# How each family is described when it IS the paper's architecture (title nouns, abstract phrases),
# and how it is named when it appears only as a baseline.
FAMILY_TEXT = {
    "transformer": {"noun": "Transformer", "suffix": "Former", "generic": "a Transformer encoder with multi-head self-attention", "neg": ("Transformer", "BERT", "transformer")},
    "cnn": {"noun": "Convolutional Network", "suffix": "Net", "generic": "a deep convolutional neural network", "neg": ("CNN", "ResNet", "convolutional")},
    "rnn": {"noun": "Recurrent Network", "suffix": "RNN", "generic": "a recurrent neural network with LSTM cells", "neg": ("LSTM", "GRU", "recurrent")},
    "gnn": {"noun": "Graph Neural Network", "suffix": "GNN", "generic": "a message-passing graph neural network", "neg": ("GCN", "GNN", "graph neural network")},
    "mlp": {"noun": "MLP", "suffix": "MLP", "generic": "a multilayer perceptron", "neg": ("MLP", "feed-forward",)},
    "diffusion": {"noun": "Diffusion Model", "suffix": "Diff", "generic": "a denoising diffusion model", "neg": ("diffusion", "DDPM")},
    "gan": {"noun": "Generative Adversarial Network", "suffix": "GAN", "generic": "a generative adversarial network", "neg": ("GAN", "adversarial")},
    "vae": {"noun": "Variational Autoencoder", "suffix": "VAE", "generic": "a variational autoencoder", "neg": ("VAE",)},
    "flow": {"noun": "Normalizing Flow", "suffix": "Flow", "generic": "a normalizing flow with invertible coupling layers", "neg": ("normalizing flow", "RealNVP")},
    "ssm": {"noun": "State Space Model", "suffix": "SSM", "generic": "a selective state space model", "neg": ("state space model", "Mamba")},
    "tree_ensemble": {"noun": "Gradient Boosted Trees", "suffix": "Boost", "generic": "an ensemble of gradient boosted decision trees", "neg": ("XGBoost", "random forest")},
    "kernel": {"noun": "Kernel Machine", "suffix": "KM", "generic": "a kernel method with a learned kernel", "neg": ("SVM", "kernel")},
    "probabilistic": {"noun": "Probabilistic Model", "suffix": "Bayes", "generic": "a probabilistic graphical model with variational inference", "neg": ("HMM", "Bayesian")},
    "shallow_embedding": {"noun": "Embeddings", "suffix": "Vec", "generic": "shallow skip-gram embeddings", "neg": ("word2vec", "DeepWalk")},
    "symbolic": {"noun": "Rule Learner", "suffix": "Logic", "generic": "a symbolic rule learner based on inductive logic programming", "neg": ("rule-based",)},
    "linear": {"noun": "Sparse Linear Model", "suffix": "Lin", "generic": "a sparse linear model with L1 regularisation", "neg": ("logistic regression", "linear")},
    "evolutionary": {"noun": "Evolutionary Search", "suffix": "Evo", "generic": "an evolutionary algorithm", "neg": ("genetic algorithm", "evolutionary")},
}

# Task names per domain with their PwC area (evaluation-table categories) and a benchmark dataset
# (name, metrics, higher_is_better, subdataset or None).
TASKS = {
    "nlp": [("Machine Translation", "Natural Language Processing", ("WMT2014 English-German", ["BLEU score"], True, "WMT2014 English-French")),
            ("Question Answering", "Natural Language Processing", ("SQuAD1.1", ["EM", "F1"], True, None)),
            ("Sentiment Analysis", "Natural Language Processing", ("SST-2 Binary classification", ["Accuracy"], True, None)),
            ("Named Entity Recognition", "Natural Language Processing", ("CoNLL 2003 (English)", ["F1"], True, None)),
            ("Text Summarization", "Natural Language Processing", ("CNN / Daily Mail", ["ROUGE-1", "ROUGE-L"], True, None))],
    "vision": [("Image Classification", "Computer Vision", ("ImageNet", ["Top 1 Accuracy"], True, "ImageNet ReaL")),
               ("Object Detection", "Computer Vision", ("COCO test-dev", ["box AP"], True, None)),
               ("Semantic Segmentation", "Computer Vision", ("Cityscapes test", ["Mean IoU (class)"], True, None)),
               ("Image Generation", "Computer Vision", ("CIFAR-10", ["FID"], False, None))],
    "speech_audio": [("Speech Recognition", "Speech", ("LibriSpeech test-clean", ["Word Error Rate (WER)"], False, "LibriSpeech test-other")),
                     ("Speech Synthesis", "Speech", ("LJSpeech", ["MOS"], True, None)),
                     ("Audio Classification", "Audio", ("AudioSet", ["mAP"], True, None))],
    "graphs": [("Node Classification", "Graphs", ("Cora", ["Accuracy"], True, None)),
               ("Link Prediction", "Graphs", ("ogbl-collab", ["Test Hits@50"], True, None)),
               ("Graph Classification", "Graphs", ("PROTEINS", ["Accuracy"], True, None))],
    "rl_robotics": [("Atari Games", "Playing Games", ("Atari 2600 Breakout", ["Score"], True, None)),
                    ("Continuous Control", "Reinforcement Learning", ("MuJoCo Ant", ["Average Return"], True, None)),
                    ("Robot Navigation", "Robots", ("Habitat 2020 Point Nav", ["SPL"], True, None))],
    "time_series": [("Time Series Forecasting", "Time Series", ("ETTh1 (336) Multivariate", ["MSE", "MAE"], False, None)),
                    ("Anomaly Detection", "Time Series", ("SMD", ["F1"], True, None))],
    "tabular_classic": [("Classification", "Miscellaneous", ("Adult", ["Accuracy"], True, None)),
                        ("Regression", "Miscellaneous", ("California Housing", ["RMSE"], False, None))],
    "bio_medicine": [("Medical Image Segmentation", "Medical", ("BraTS 2018", ["Dice Score"], True, None)),
                     ("Protein Structure Prediction", "Computational Biology", ("CASP14", ["GDT-TS"], True, None)),
                     ("Drug Discovery", "Medical", ("Tox21", ["AUC"], True, None))],
    "general_ml": [("Representation Learning", None, None), ("Hyperparameter Optimization", None, None),
                   ("Continual Learning", None, None), ("Domain Adaptation", None, None)],
}

DOMAIN_PHRASES = {
    "nlp": "natural language processing", "vision": "computer vision", "speech_audio": "speech and audio processing",
    "graphs": "learning on graphs", "rl_robotics": "robot learning", "time_series": "time series analysis",
    "tabular_classic": "statistical learning on tabular data", "bio_medicine": "computational biology and medicine",
    "general_ml": "machine learning",
}

# Non-ML filler vocabulary for the ~3% of papers the warehouse must filter out.
NON_ML_TITLES = ("On the Spectrum of Random Operators", "Anomalous Dimensions in Holographic Duals",
                 "A Faster Algorithm for Minimum Cuts", "Entanglement Entropy of Spin Chains",
                 "Concentration Inequalities for Martingales", "Constraints on Dark Energy from Supernovae",
                 "Phase Transitions in Kinetic Ising Models", "Community Structure in Citation Networks",
                 "Population Dynamics of Competing Species", "Extremal Colourings of Hypergraphs",
                 "Side-Channel Attacks on Lattice Cryptography", "Identification in Panel Data Models")

# Cited classics with old-style identifiers (pre-2007 arXiv), all cs.* (ML) except one.
CLASSICS = [
    ("cs/9905014", "1999-05-21", "cs.LG cs.AI", "Support Vector Learning with Structured Kernels", "kernel"),
    ("cs/9811006", "1998-11-02", "cs.LG", "Boosting Decision Tree Ensembles for Noisy Domains", "tree_ensemble"),
    ("cs/0011032", "2000-11-21", "cs.LG cs.NE", "Gradient Flow in Recurrent Nets and Long Range Dependencies", "rnn"),
    ("cs/0102018", "2001-02-21", "cs.LG cs.AI", "Hidden Markov Models for Sequence Labelling", "probabilistic"),
    ("cs/0205072", "2002-05-28", "cs.CV cs.LG", "Convolutional Feature Hierarchies for Object Recognition", "cnn"),
    ("cs/0409055", "2004-09-29", "cs.LG", "Sparse Linear Models for High-Dimensional Classification", "linear"),
    ("cs/0603105", "2006-03-27", "cs.NE cs.LG", "Evolving Neural Network Topologies with Genetic Algorithms", "evolutionary"),
    ("math/0406077", "2004-06-03", "math.ST", "Oracle Inequalities for Model Selection", None),
]

SURNAMES = tuple("""Abe Adams Ahmed Akhtar Ali Alvarez Amari Andersen Arora Bach Bae Baker Banerjee Barros Becker Bell Bengtsson
Berg Bianchi Blum Borges Brandt Brown Bui Campbell Cao Carvalho Castro Chandra Chen Cheng Choi Chopra Clark Costa Cruz Dai
Das Davies Diaz Dong Du Dubois Edwards Eriksson Fang Farouk Feng Fernandes Fischer Fontaine Fu Gao Garcia Ghosh Gomez Gong
Gonzalez Gupta Haas Hall Han Hansen Hara He Hoffmann Hong Hu Huang Hughes Ibrahim Inoue Ito Iyer Jain Jensen Jiang Jin Johansson
Jones Joshi Kang Kapoor Kato Khan Kim Klein Koch Kowalski Kumar Kuo Lam Lang Larsen Laurent Lee Lehmann Li Liang Lim Lin Liu
Lopez Lu Luo Ma Mahmoud Marino Martin Martins Matsumoto Mehta Meyer Miller Mishra Mori Moreau Muller Murphy Nair Nakamura
Nguyen Ni Nielsen Novak Oh Okafor Olsen Ortiz Pan Park Patel Peng Pereira Petrov Pham Popescu Qian Qiu Rahman Ramos Rao Reddy
Ren Ricci Rivera Rossi Roy Russo Saito Sanchez Santos Sato Schmidt Schneider Shah Shao Sharma Shen Shi Silva Singh Smith Song
Sousa Sun Suzuki Tan Tanaka Tang Taylor Thomas Tian Tran Tsai Vargas Verma Volkov Wagner Walker Wang Watanabe Weber Wei Wong
Wu Xia Xie Xu Yamada Yan Yang Yao Ye Yi Yin Yu Yuan Zhang Zhao Zheng Zhou Zhu Zimmermann""".split())
FORENAMES = tuple("""Aarav Abigail Adrian Aisha Akira Alejandro Alice Amir Ana Andrea Anna Antoine Arjun Ayumi Beatriz Bo
Carlos Carmen Chao Chen Chloe Daniel David Diego Dmitri Elena Emil Emma Eun Fatima Felix Fei Gabriel Hana Hao Hiroshi Hugo
Igor Ines Isabel Jakob James Jia Jin Jonas Jose Julia Jun Kai Karim Kenji Laura Lei Leon Li Lina Lucas Luis Maria Marta Mei
Min Ming Mohammed Nadia Naveen Nikolai Nina Noah Olga Omar Pablo Paolo Pedro Pierre Priya Qing Rafael Rahul Rania Ravi Rosa
Ruben Sara Sebastian Seo Shreya Sofia Sophie Tariq Thomas Tomas Valentina Victor Wei Xin Yan Yara Yi Yuki Yusuf Zara Zoe""".split())
