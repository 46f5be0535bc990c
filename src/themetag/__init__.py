"""themetag: what a drug-policy news article is about, and where it stands, paragraph by paragraph.

>>> import themetag
>>> [p.kind for p in themetag.segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
['heading', 'content', 'boilerplate']
"""

from .errors import InputError, LabelError, ModelError, ThemetagError
from .labels import Example, LabelSet, Schema, load_labels
from .segment import Paragraph, segment
from .tagger import ArticleTags, ParagraphTags, Tagger, load, tag
from .train import CVReport, TrainConfig, evaluate, train

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
