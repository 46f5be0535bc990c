"""themetag: what a drug-policy news article is about, and where it stands, paragraph by paragraph.

>>> import themetag
>>> [p.kind for p in themetag.segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
['heading', 'content', 'boilerplate']

The flow, one module per step: ``io`` (files → articles) → ``segment``
(article → paragraphs) → ``features`` (paragraphs → vectors) → ``model``
(vectors → scores) → ``tagger`` (scores → tags, per paragraph and article) →
``output`` (tags → files). Training: ``labels`` + ``schema`` → ``training``
(fit) → ``evaluation`` (grouped cross-validation) → ``workflow`` (the whole
run) → ``card``.
"""

from typing import TYPE_CHECKING

from .errors import InputError, LabelError, ModelError, ThemetagError
from .labels import Example, LabelSet, load_labels
from .schema import Schema
from .segment import Paragraph, segment
from .tagger import ArticleTags, ParagraphTags, Tagger, load, tag

if TYPE_CHECKING:  # editors and type checkers see these; at run time they load on first use
    from .evaluation import CVReport
    from .training import TrainConfig
    from .workflow import evaluate, train

# Training imports scikit-learn (~2 s); tagging must not pay for it.
_LAZY = {"CVReport": "evaluation", "TrainConfig": "training", "evaluate": "workflow", "train": "workflow"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'themetag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = [
    "ArticleTags",
    "CVReport",
    "Example",
    "InputError",
    "LabelError",
    "LabelSet",
    "ModelError",
    "Paragraph",
    "ParagraphTags",
    "Schema",
    "Tagger",
    "ThemetagError",
    "TrainConfig",
    "__version__",
    "evaluate",
    "load",
    "load_labels",
    "segment",
    "tag",
    "train",
]
