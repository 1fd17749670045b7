def run(cast):
    raise NotImplementedError
