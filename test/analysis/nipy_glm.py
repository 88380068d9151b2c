# Peer for test/analysis/nipy.test.ts and recon/bench/glm.ts (run by Debian's
# /usr/bin/python3 after test/helpers/python.ts's prelude, which defines INPUT
# and emit). nipy 0.5's own design (make_dmtx, hrf 'spm'/'spm_time', cosine
# drift) and GLM (GeneralLinearModel, 'ols' and 'ar1') on a 4D NIfTI.
#
# INPUT: { bold, events, hrf: 'spm'|'spm_time', hfcut, contrasts: [[w...]...],
#          ourDesign: [[...]...] | null, models: ['ols', 'ar1'], mask: path|null }
import time, warnings
import numpy as np
import nibabel as nib
from nipy.modalities.fmri.design_matrix import make_dmtx
from nipy.modalities.fmri.experimental_paradigm import BlockParadigm
from nipy.modalities.fmri.glm import GeneralLinearModel

warnings.simplefilter('ignore')
img = nib.load(INPUT['bold'])
data = np.asarray(img.get_fdata(dtype=np.float64))
n = data.shape[3]
tr = float(img.header.get_zooms()[3]) if INPUT.get('tr') is None else float(INPUT['tr'])
Y = data.reshape(-1, n, order='F').T  # (n, voxels), voxels x-fastest like ours
mask = None
if INPUT.get('mask'):
    mask = np.asarray(nib.load(INPUT['mask']).dataobj).reshape(-1, order='F') > 0
    Y = Y[:, mask]

rows = [l.rstrip('\n').split('\t') for l in open(INPUT['events']) if l.strip()]
head = rows[0]
ev = rows[1:]
col = {h: i for i, h in enumerate(head)}
con_id = np.array([r[col['trial_type']] for r in ev])
onset = np.array([float(r[col['onset']]) for r in ev])
duration = np.array([float(r[col['duration']]) for r in ev])
frametimes = np.arange(n) * tr

t0 = time.perf_counter()
dm = make_dmtx(frametimes, BlockParadigm(con_id=con_id, onset=onset, duration=duration),
               hrf_model=INPUT['hrf'], drift_model='cosine', hfcut=INPUT['hfcut'])
t_design = time.perf_counter() - t0

def fit(X, model):
    t0 = time.perf_counter()
    glm = GeneralLinearModel(X)
    glm.fit(Y, model=model)
    out = []
    for c in INPUT['contrasts']:
        con = glm.contrast(np.array(c, dtype=float))
        out.append(np.asarray(con.stat()).reshape(-1))
        con.z_score()
    return out, time.perf_counter() - t0

def full(values):
    if mask is None:
        return values
    v = np.zeros(mask.size)
    v[mask] = values
    return v

result = {'names': dm.names, 'design': dm.matrix, 'designSec': t_design, 'voxels': int(Y.shape[1])}
for model in INPUT.get('models', ['ols']):
    t, sec = fit(dm.matrix, model)
    result['nipy_' + model] = [full(x) for x in t]
    result['nipy_' + model + '_sec'] = sec
    if INPUT.get('ourDesign') is not None:
        t, sec = fit(np.array(INPUT['ourDesign'], dtype=float), model)
        result['ours_' + model] = [full(x) for x in t]
        result['ours_' + model + '_sec'] = sec
emit(result)
