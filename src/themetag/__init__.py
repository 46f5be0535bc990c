"""themetag: what a drug-policy news article is about, and where it stands, paragraph by paragraph.

>>> import themetag
>>> [p.kind for p in themetag.segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
['heading', 'content', 'boilerplate']

The flow, one module per step: ``io`` (files → articles) → ``segmentation``
(article → paragraphs) → ``features`` (paragraphs → vectors) → ``model``
(vectors → scores) → ``tagger`` (scores → tags, per paragraph and article) →
``output`` (tags → files). Training: ``labels`` + ``schema`` → ``training``
(fit) → ``evaluation`` (grouped cross-validation) → ``workflow`` (the whole
run) → ``card``. Publishing numbers: ``estimates`` (a random sample to label; shares
with confidence intervals from it). Beside them: ``store`` (the model folder: format,
reading, writing), ``config`` (training settings), ``language`` (an article's language),
``collection`` (pictures of a collection), ``cluster`` (Dask), ``interop`` (Label Studio,
doccano), ``review`` (what to label next). The command line (``cli``) only wraps these.
Each module imports only modules on lower floors (``FLOORS`` in ``tests/test_architecture.py``).

The public names below load on first use, so importing one step (say
``themetag.model``) does not import the others, and ``import themetag`` does
not pay for scikit-learn, which only training needs.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import InputError, LabelError, ModelError, OutputError, ThemetagError

if TYPE_CHECKING:  # editors and type checkers see these as ordinary imports
    from .config import TrainConfig
    from .estimates import estimate, sample
    from .evaluation import CVReport
    from .labels import Example, LabelSet, load_labels
    from .output import to_frame
    from .schema import Schema
    from .segmentation import Paragraph, segment
    from .tagger import ArticleTags, ParagraphTags, Tagger, load, tag, tag_frame
    from .workflow import evaluate, train

#: Public name → the module that defines it.
_PUBLIC = {
    "ArticleTags": "tagger",
    "ParagraphTags": "tagger",
    "Tagger": "tagger",
    "load": "tagger",
    "tag": "tagger",
    "Paragraph": "segmentation",
    "segment": "segmentation",
    "Schema": "schema",
    "Example": "labels",
    "LabelSet": "labels",
    "load_labels": "labels",
    "CVReport": "evaluation",
    "TrainConfig": "config",
    "evaluate": "workflow",
    "train": "workflow",
    "to_frame": "output",
    "tag_frame": "tagger",
    "sample": "estimates",
    "estimate": "estimates",
}


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value  # found once, then an ordinary attribute
        return value
    try:  # a submodule not imported yet: themetag.tagger, themetag.features, ...
        return import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the submodule exists but needs a package that is missing (scikit-learn for training): say so
        raise AttributeError(f"module 'themetag' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ArticleTags",
    "CVReport",
    "Example",
    "InputError",
    "LabelError",
    "LabelSet",
    "ModelError",
    "OutputError",
    "Paragraph",
    "ParagraphTags",
    "Schema",
    "Tagger",
    "ThemetagError",
    "TrainConfig",
    "__version__",
    "estimate",
    "evaluate",
    "load",
    "load_labels",
    "sample",
    "segment",
    "tag",
    "tag_frame",
    "to_frame",
    "train",
]
