"""List prices the Gemini CLI dashboard turns tokens into a notional cost with.

USD per million tokens, Gemini API paid tier, prompts up to 200k tokens, as
published at https://ai.google.dev/gemini-api/docs/pricing when this table
was written. Edit it when the prices or your models change: a model missing
here costs nothing on the dashboard (its tokens still count).
"""

from __future__ import annotations

# model -> (input, output, cached input) in USD per million tokens.
LIST_PRICES: dict[str, tuple[float, float, float]] = {
    "gemini-2.5-pro": (1.25, 10.00, 0.31),
    "gemini-2.5-flash": (0.30, 2.50, 0.075),
    "gemini-2.5-flash-lite": (0.10, 0.40, 0.025),
}


def per_token(model: str) -> dict[str, float]:
    """USD per token of each token type, so that cost = sum over types of tokens x price.

    `cache` tokens are part of `input` (they are also counted there), so
    their price is the difference: the cached rate replaces the input rate.
    `thought` tokens are billed as output, `tool` tokens as input.
    """
    input_, output, cached = (price / 1e6 for price in LIST_PRICES[model])
    return {
        "input": input_,
        "output": output,
        "thought": output,
        "tool": input_,
        "cache": cached - input_,
    }
