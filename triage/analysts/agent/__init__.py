"""The agent engine: a grounded, tool-using LangChain agent over an OpenAI-compatible model.

langchain is imported only inside the code paths that call the model (see engine.py)."""

from triage.analysts.agent.chat import AgentConfig
from triage.analysts.agent.engine import AgentEngine, AgentOutcome

__all__ = ["AgentConfig", "AgentEngine", "AgentOutcome"]
