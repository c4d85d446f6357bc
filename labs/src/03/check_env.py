"""Print the versions of the packages a job actually got (module 03)."""
import platform

import pandas
import sklearn

print("python", platform.python_version().rsplit(".", 1)[0])
print("pandas", pandas.__version__)
print("scikit-learn", sklearn.__version__)
