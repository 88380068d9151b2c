/**
 * The ISMRMRD XML header (`/dataset/xml`) ↔ `IsmrmrdHeader`.
 *
 * Element names and order follow ismrmrd.xsd (ISMRMRD v1, schema "version 2",
 * including the later additions the shared type carries: multiband, sequenceName,
 * diffusionDimension, patientHeight_m, bodyPartExamined, deviceSerialNumber,
 * trajectoryDescription/userParameterString).
 *
 * Reading is strict about values (a number must be a number of the schema's
 * kind, enumerations must hold one of their values) and about the parts the
 * type cannot do without; it ignores elements it does not know (waveformInformation,
 * measurementDependency, diffusion, user_N limits, foreign namespaces), so newer
 * files still load. Elements are matched by local name in the ISMRMRD namespace
 * or in no namespace, so prefixed, default-namespaced and namespace-less
 * documents all read the same.
 *
 * Writing emits elements in schema order with the ISMRMRD default namespace, in
 * the form libismrmrd (1.8 and later) reads back.
 */
export { ISMRMRD_NAMESPACE, MAX_HEADER_XML_BYTES, TRAJECTORIES, CALIBRATION_MODES } from './header-schema.ts';
export { parseIsmrmrdHeader } from './header-parse.ts';
export { serializeIsmrmrdHeader } from './header-serialize.ts';
