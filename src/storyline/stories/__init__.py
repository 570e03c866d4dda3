"""Story grouping: syndicated-copy detection and online clustering of articles into stories."""

from storyline.stories.engine import EngineConfig, Placement, StoryEngine, StoryItem

__all__ = ["EngineConfig", "Placement", "StoryEngine", "StoryItem"]
