"""Journey orchestration assistant: understands a trip request and plans the whole journey."""
