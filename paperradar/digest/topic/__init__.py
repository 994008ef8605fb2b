"""Topic digests: "Latest N papers on QUERY", grouped into themes, with the models,
datasets and code behind them and an outlook, offline or written by an LLM.

``build_topic`` makes the view-model (:mod:`.model`); ``render_topic`` turns it into
Markdown, HTML or JSON (schema in docs/topics.md). Every sentence carries the ids of the
papers it cites, and every cited id is one of the selected papers.
"""

from __future__ import annotations

from paperradar.digest.topic.build import BACKENDS, TopicRequest, build_topic, headline
from paperradar.digest.topic.formats import render_topic
from paperradar.digest.topic.model import Entity, Sentence, Theme, TopicDigest, TopicPaper
from paperradar.digest.topic.render import FORMATS, topic_dict

__all__ = ["BACKENDS", "FORMATS", "Entity", "Sentence", "Theme", "TopicDigest", "TopicPaper", "TopicRequest",
           "build_topic", "headline", "render_topic", "topic_dict"]
