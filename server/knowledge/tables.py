"""The knowledge base (知识库, regulation 5): questions and their answers.

`KnowledgeEntry` holds the current text; every version, the first included, is
a `KnowledgeVersion` row that is never changed (an edit writes a new one), so
the history shows who wrote what. `KnowledgeToken` is the search index
(search.py): the distinct tokens of an entry's question and answer, rewritten
with the entry in the same transaction.
"""
from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import User
from server.org.tables import Project


class KnowledgeEntry(Table, tablename="knowledge_entry"):
    question = Text()
    answer = Text()
    category = Varchar(length=50, default="")
    tags = Text(default="")
    """Space-separated tags."""
    question_key = Text(default="")
    """The question normalized for search (search.normalize)."""
    answer_key = Text(default="")
    version = Integer(default=1)
    retired = Boolean(default=False, index=True)
    published = Boolean(default=False, index=True)
    """Shown on the public page of published answers (set by CS; off by default)."""
    project = ForeignKey(references=Project, on_delete=OnDelete.set_null, null=True, default=None)
    """The project whose public page shows it when published; none: every project's."""
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class KnowledgeVersion(Table, tablename="knowledge_version"):
    entry = ForeignKey(references=KnowledgeEntry, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    question = Text()
    answer = Text()
    category = Varchar(length=50, default="")
    tags = Text(default="")
    edited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    edited_by_name = Varchar(length=150, default="")
    edited_at = Timestamptz(default=TimestamptzNow())


class KnowledgeToken(Table, tablename="knowledge_token"):
    entry = ForeignKey(references=KnowledgeEntry, on_delete=OnDelete.cascade, index=True)
    token = Varchar(length=40, index=True)
    field = Varchar(length=1)
    """q (question) or a (answer)."""
