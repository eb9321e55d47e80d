"""The base of every pydantic model of Tidemark's.

Its validator and serializer are built when the model is first used, not when its module is
imported: the console API's handler imports about eighty models and one request uses a few, so a
cold start builds only those (pydantic 2.14's rebuild is locked: local mode's concurrent
invocations, threads, build a model once)."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
