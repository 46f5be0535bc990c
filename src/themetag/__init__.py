"""themetag: what a drug-policy news article is about, and where it stands, paragraph by paragraph.

>>> import themetag
>>> [p.kind for p in themetag.segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
['heading', 'content', 'boilerplate']
"""

from .errors import InputError, LabelError, ModelError, ThemetagError
from .labels import Example, LabelSet, Schema, load_labels
from .segment import Paragraph, segment
from .tagger import ArticleTags, ParagraphTags, Tagger, load, tag

# Training imports scikit-learn (~2 s); tagging must not pay for it.
_TRAINING = {"CVReport", "TrainConfig", "evaluate", "train"}


def __getattr__(name: str):
    if name in _TRAINING:
        from . import training

        return getattr(training, name)
    raise AttributeError(f"module 'themetag' has no attribute {name!r}")


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
