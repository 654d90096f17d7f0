/**
 * The OneRoster 1.2 collections the adapter reads, with where each lives in the REST binding
 * (service, path, JSON keys) and in the CSV binding (file name). Reference: portal-and-standards
 * §B1 and the official OpenAPI files in schemas/oneroster-1.2/.
 */

export type Service = 'rostering' | 'gradebook';

export const COLLECTION_NAMES = [
  'orgs', 'academicSessions', 'courses', 'classes', 'users', 'demographics', 'enrollments',
  'categories', 'lineItems', 'results', 'scoreScales',
] as const;

export type Collection = (typeof COLLECTION_NAMES)[number];

export interface CollectionInfo {
  service: Service;
  /** Path under the service base, e.g. `/users`. */
  path: string;
  /** Key of the array in a collection answer (`{users:[…]}`). */
  setKey: string;
  /** Key of the object in a single-object answer (`{user:{…}}`). */
  singleKey: string;
  /** CSV file name without `.csv`, and the manifest key `file.<name>`. */
  csvFile: string;
  /** `$ref` names of the set and object schemas in the official OpenAPI file. */
  setSchema: string;
  objectSchema: string;
}

export const COLLECTIONS: Readonly<Record<Collection, CollectionInfo>> = {
  orgs: { service: 'rostering', path: '/orgs', setKey: 'orgs', singleKey: 'org', csvFile: 'orgs', setSchema: 'OrgSetDType', objectSchema: 'OrgDType' },
  academicSessions: {
    service: 'rostering', path: '/academicSessions', setKey: 'academicSessions', singleKey: 'academicSession', csvFile: 'academicSessions',
    setSchema: 'AcademicSessionSetDType', objectSchema: 'AcademicSessionDType',
  },
  courses: { service: 'rostering', path: '/courses', setKey: 'courses', singleKey: 'course', csvFile: 'courses', setSchema: 'CourseSetDType', objectSchema: 'CourseDType' },
  classes: { service: 'rostering', path: '/classes', setKey: 'classes', singleKey: 'class', csvFile: 'classes', setSchema: 'ClassSetDType', objectSchema: 'ClassDType' },
  users: { service: 'rostering', path: '/users', setKey: 'users', singleKey: 'user', csvFile: 'users', setSchema: 'UserSetDType', objectSchema: 'UserDType' },
  demographics: {
    service: 'rostering', path: '/demographics', setKey: 'demographics', singleKey: 'demographics', csvFile: 'demographics',
    setSchema: 'DemographicsSetDType', objectSchema: 'DemographicsDType',
  },
  enrollments: {
    service: 'rostering', path: '/enrollments', setKey: 'enrollments', singleKey: 'enrollment', csvFile: 'enrollments',
    setSchema: 'EnrollmentSetDType', objectSchema: 'EnrollmentDType',
  },
  categories: {
    service: 'gradebook', path: '/categories', setKey: 'categories', singleKey: 'category', csvFile: 'categories',
    setSchema: 'CategoriesSetDType', objectSchema: 'CategoryDType',
  },
  lineItems: {
    service: 'gradebook', path: '/lineItems', setKey: 'lineItems', singleKey: 'lineItem', csvFile: 'lineItems',
    setSchema: 'LineItemSetDType', objectSchema: 'LineItemDType',
  },
  results: { service: 'gradebook', path: '/results', setKey: 'results', singleKey: 'result', csvFile: 'results', setSchema: 'ResultSetDType', objectSchema: 'ResultDType' },
  scoreScales: {
    service: 'gradebook', path: '/scoreScales', setKey: 'scoreScales', singleKey: 'scoreScale', csvFile: 'scoreScales',
    setSchema: 'ScoreScaleSetDType', objectSchema: 'ScoreScaleDType',
  },
};

export function isCollection(s: string): s is Collection {
  return (COLLECTION_NAMES as readonly string[]).includes(s);
}

/** The standard scope URIs (portal-and-standards §B1). */
export const SCOPE_BASE = 'https://purl.imsglobal.org/spec/or/v1p2/scope';
export const SCOPES = {
  rosterCore: `${SCOPE_BASE}/roster-core.readonly`,
  roster: `${SCOPE_BASE}/roster.readonly`,
  demographics: `${SCOPE_BASE}/roster-demographics.readonly`,
  gradebook: `${SCOPE_BASE}/gradebook.readonly`,
  gradebookCore: `${SCOPE_BASE}/gradebook-core.readonly`,
} as const;

/** Default service base paths of the REST binding. */
export const DEFAULT_PATHS: Readonly<Record<Service, string>> = {
  rostering: '/ims/oneroster/rostering/v1p2',
  gradebook: '/ims/oneroster/gradebook/v1p2',
};
