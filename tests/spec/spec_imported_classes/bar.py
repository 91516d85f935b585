"""A class named as one in foo.py: the two are different classes (test_jit_class_type)."""


class FooSameName:
    def __init__(self, y):
        self.y = y
