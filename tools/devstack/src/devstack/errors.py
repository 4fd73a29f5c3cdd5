"""The one error devstack raises: what is wrong and how to fix it."""


class DevstackError(RuntimeError):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}\n  how to fix: {fix}")
        self.problem = problem
        self.fix = fix
