"""themetag: what a drug-policy news article is about, and where it stands, paragraph by paragraph.

>>> import themetag
>>> [p.kind for p in themetag.segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
['heading', 'content', 'boilerplate']
"""

from .errors import InputError, LabelError, ModelError, ThemetagError
from .labels import Example, LabelSet, Schema, load_labels
from .segment import Paragraph, segment

__version__ = "0.1.0"

__all__ = [
    "Example",
    "InputError",
    "LabelError",
    "LabelSet",
    "ModelError",
    "Paragraph",
    "Schema",
    "ThemetagError",
    "__version__",
    "load_labels",
    "segment",
]
